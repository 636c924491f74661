import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Counter, createMetricsRegistry, startOpsServer } from '../src/index.js';

async function serve(checks: { name: string; check: () => Promise<void> }[], accepting = true) {
  const registry = createMetricsRegistry('unit');
  new Counter({ name: 'things_total', help: 'things', registers: [registry] }).inc(3);
  const server = await startOpsServer({ host: '127.0.0.1', port: 0, registry, checks, checkTimeoutMs: 200, isAccepting: () => accepting });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('healthz is ok, readyz lists every check, metrics are Prometheus text', async () => {
  const ops = await serve([{ name: 'kafka', check: async () => {} }]);
  try {
    assert.deepEqual(await (await fetch(`${ops.base}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${ops.base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, [{ name: 'kafka', ok: true }]);
    const metrics = await (await fetch(`${ops.base}/metrics`)).text();
    assert.match(metrics, /things_total\{service="unit"\} 3/);
    assert.match(metrics, /process_resident_memory_bytes/);
  } finally {
    await ops.close();
  }
});

test('readyz is 503 when a check fails, hangs, or the service is stopping', async () => {
  const failing = await serve([
    { name: 'down', check: async () => Promise.reject(new Error('connection refused')) },
    { name: 'slow', check: () => new Promise(() => {}) },
  ]);
  try {
    const res = await fetch(`${failing.base}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { checks: { ok: boolean; error?: string }[] };
    assert.deepEqual(body.checks.map((c: { ok: boolean }) => c.ok), [false, false]);
    assert.match(body.checks[1]!.error ?? '', /did not answer within 200 ms/);
  } finally {
    await failing.close();
  }
  const stopping = await serve([], false);
  try {
    assert.equal((await fetch(`${stopping.base}/readyz`)).status, 503);
  } finally {
    await stopping.close();
  }
});

/**
 * End to end on the local stack (every service a process): events posted at a steady rate until
 * their row is queryable in ClickHouse; each service's CPU and peak memory meanwhile; then the
 * same load with Kafka stalled, for each service's peak memory.
 */
import { LatencyRecorder, runLoad } from '@sophon/device-simulator';
import { clickhouseClient } from '../local/clients.js';
import { DATABASE, type LocalStack, type ServiceName } from '../local/stack.js';
import { waitFor } from '@sophon/test-kit';
import { freezeProcess } from './child-processes.js';
import { childPid, startPhase } from './process-stats.js';
import { phaseMs, type BenchSettings } from './settings.js';
import { liveUploads } from './uploads.js';

const SERVICES: ServiceName[] = ['gateway', 'analytics-writer', 'image-store', 'registration-worker'];
const POLL_MS = 50;

export interface ServiceMemory {
  /** Peak RSS per service at the steady end-to-end load, and while Kafka was stalled under it. */
  steady: Record<string, { peakRssBytes: number; cores: number }>;
  stalled: Record<string, { peakRssBytes: number; cores: number }>;
}

export async function benchmarkEndToEnd(stack: LocalStack, settings: BenchSettings): Promise<ServiceMemory> {
  const { output, recorder } = settings;
  const pids = Object.fromEntries(SERVICES.map((name) => [name, childPid(`services/${name}/src/main.ts`)]));
  // What the local stack sustains end to end: its test broker answers a fetch with one produced batch
  // per partition (Kafka fills the fetch), so consumers of a 4-partition topic fed by small produce
  // batches keep up with only about ten of them per second there.
  const rate = 10;
  const durationMs = phaseMs(settings, 20, 2);
  const clickhouse = clickhouseClient(stack.clickhouse, DATABASE);
  for (const name of SERVICES.filter((n) => n !== 'gateway')) {
    await waitFor(async () => (await fetch(`${stack.services[name].opsUrl}/readyz`)).ok, `${name} ready`, 60_000, 200);
  }

  output.line(`end to end: ${rate} mixed events/s for ${durationMs / 1000} s, posted until queryable in ClickHouse`);
  const posted = new Map<string, number>();
  const seen = new Map<string, number>();
  const fromMs = Date.now() - 1000;
  let polling = true;
  const pollErrors: Error[] = [];
  const poller = (async () => {
    while (polling) {
      try {
        const rows = await (await clickhouse.query({ query: `SELECT event_id FROM history_events WHERE received_at_ms >= ${fromMs}`, format: 'JSONEachRow' })).json<{ event_id: string }>();
        const now = performance.now();
        for (const { event_id: id } of rows) if (!seen.has(id)) seen.set(id, now);
      } catch (error) {
        pollErrors.push(error as Error); // counted against the run by the wait below if it lasts
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  const phase = startPhase(pids);
  const load = await runLoad({
    url: stack.gatewayUrl,
    source: liveUploads({ profile: 'mixed', devices: 50, token: stack.token, seed: 4 }),
    concurrency: 16,
    rate,
    durationMs,
    onAnswer: ({ status, body, dueAt }) => {
      if (status === 200) posted.set((JSON.parse(body) as { data: { event_id: string } }).data.event_id, dueAt);
    },
  });
  try {
    await waitFor(() => [...posted.keys()].every((id) => seen.has(id)), 'every posted event queryable in ClickHouse', 120_000, POLL_MS);
  } catch (error) {
    const missing = [...posted.keys()].filter((id) => !seen.has(id)).length;
    throw new Error(`${(error as Error).message}: ${missing} of ${posted.size} missing; ${pollErrors.length} polls failed${pollErrors.length ? ` (last: ${pollErrors.at(-1)!.message})` : ''}`);
  } finally {
    polling = false;
    await poller;
  }
  const steady = phase.end();
  await clickhouse.close();

  const latency = new LatencyRecorder();
  for (const [id, postedAt] of posted) latency.record(seen.get(id)! - postedAt);
  const { p50, p99, max } = latency.summary();
  recorder.section({
    title: 'End to end: event posted → row queryable',
    method:
      `The local stack (every service a process, product settings; the writer flushes every 200 ms as in \`pnpm dev\`). ` +
      `${rate} mixed events/s (40 % with all four pictures, 35 % scene and face, 25 % none) from 50 boxes for ${durationMs / 1000} s ` +
      '(a rate the test broker sustains: it answers a fetch with one produced batch per partition); ' +
      `ClickHouse polled every ${POLL_MS} ms for the new event ids, so figures include up to ${POLL_MS} ms of polling.`,
    header: ['figure', 'value'],
    rows: [
      ['events posted and found', recorder.figure('endToEnd.events', posted.size, 'events', 0)],
      ['p50', recorder.figure('endToEnd.p50Ms', p50, 'ms', 0)],
      ['p99', recorder.figure('endToEnd.p99Ms', p99, 'ms', 0)],
      ['max', recorder.figure('endToEnd.maxMs', max, 'ms', 0)],
      ['posting p99 (gateway answer)', recorder.figure('endToEnd.postP99Ms', load.latencyMs.p99, 'ms', 0)],
    ],
  });

  const stalled = await stallUnderLoad(stack, settings, pids, rate);
  return { steady, stalled };
}

/** The same steady load with the broker SIGSTOPped: connections stay open and nothing is answered. */
async function stallUnderLoad(stack: LocalStack, settings: BenchSettings, pids: Record<string, number>, rate: number) {
  const kafkaPid = childPid('mock-kafka-');
  const stallMs = phaseMs(settings, 15, 1.5);
  settings.output.line(`end to end: Kafka stalled for ${stallMs / 1000} s under the same load`);
  const phase = startPhase(pids);
  const loading = runLoad({
    url: stack.gatewayUrl,
    source: liveUploads({ profile: 'mixed', devices: 50, token: stack.token, seed: 5 }),
    concurrency: 64,
    rate,
    durationMs: stallMs + phaseMs(settings, 4, 1),
    retryCapMs: 1000,
  });
  await freezeProcess(kafkaPid, phaseMs(settings, 1, 0.3), stallMs);
  await loading;
  return phase.end();
}

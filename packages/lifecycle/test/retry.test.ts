import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, retry } from '../src/index.js';

const fast = { initialMs: 1, maxMs: 4 };

test('retry runs the operation until it succeeds, telling each failure to onRetry', async () => {
  const seen: number[] = [];
  const result = await retry(
    async (attempt) => {
      if (attempt < 3) throw new Error(`fail ${attempt}`);
      return 'done';
    },
    { ...fast, onRetry: (_error, attempt) => seen.push(attempt) },
  );
  assert.equal(result, 'done');
  assert.deepEqual(seen, [0, 1, 2]);
});

test('retry rethrows a non-retriable error at once, and the last error once the timeout or the signal ends it', async () => {
  let calls = 0;
  await assert.rejects(
    retry(async () => {
      calls++;
      throw new Error('permanent');
    }, { ...fast, isRetriable: () => false }),
    /permanent/,
  );
  assert.equal(calls, 1);

  await assert.rejects(retry(async () => Promise.reject(new Error('still down')), { initialMs: 50, maxMs: 50, timeoutMs: 120 }), /still down/);

  const controller = new AbortController();
  const running = retry(async () => Promise.reject(new Error('aborted while waiting')), { initialMs: 60_000, maxMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(running, /aborted while waiting/);
});

test('backoff doubles up to the maximum, with jitter in the upper half', () => {
  assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1000 }, () => 0), 50);
  assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1000 }, () => 1), 100);
  assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1000 }, () => 1), 800);
  assert.equal(backoffDelay(10, { initialMs: 100, maxMs: 1000 }, () => 1), 1000);
});

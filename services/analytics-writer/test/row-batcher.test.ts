import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowBatcher } from '../src/row-batcher.js';

test('rows from concurrent callers share one insert once maxRows are waiting', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), 5, 60_000);
  await Promise.all([batcher.add([1, 2]), batcher.add([3]), batcher.add([4, 5, 6])]);
  assert.deepEqual(inserts, [[1, 2, 3, 4, 5, 6]]);
});

test('once enough callers are waiting, their rows are inserted without waiting for maxWaitMs', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), 1000, 60_000, (waiting) => waiting >= 3);
  await Promise.all([batcher.add([1]), batcher.add([2, 3]), batcher.add([4])]);
  assert.deepEqual(inserts, [[1, 2, 3, 4]]);
});

test('a lone small batch is sent after maxWaitMs', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), 1000, 30);
  const started = Date.now();
  await batcher.add([7]);
  assert.deepEqual(inserts, [[7]]);
  assert.ok(Date.now() - started >= 25);
});

test('a failed insert rejects every caller whose rows it carried, and later rows go in a new insert', async () => {
  let fail = true;
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(
    async (rows) => {
      if (fail) throw new Error('ClickHouse down');
      inserts.push(rows);
    },
    2,
    60_000,
  );
  const results = await Promise.allSettled([batcher.add([1]), batcher.add([2])]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  await batcher.add([1, 2]);
  assert.deepEqual(inserts, [[1, 2]]);
});

test('empty batches resolve at once and flush waits for inserts under way', async () => {
  let release!: () => void;
  const batcher = new RowBatcher<number>(() => new Promise<void>((resolve) => (release = resolve)), 1, 60_000);
  await batcher.add([]);
  const pending = batcher.add([1]);
  let flushed = false;
  const flushing = batcher.flush().then(() => (flushed = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(flushed, false);
  release();
  await Promise.all([pending, flushing]);
  assert.equal(flushed, true);
});

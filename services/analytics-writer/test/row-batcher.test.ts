import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowBatcher } from '../src/row-batcher.js';

test('rows from concurrent callers share one insert once maxRows are waiting', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), { maxRows: 5, intervalMs: 60_000 });
  await Promise.all([batcher.add([1, 2]), batcher.add([3]), batcher.add([4, 5, 6])]);
  assert.deepEqual(inserts, [[1, 2, 3, 4, 5, 6]]);
});

test('once enough callers are waiting, their rows are inserted without waiting for maxWaitMs', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), { maxRows: 1000, intervalMs: 60_000, enoughWaiting: (waiting) => waiting >= 3 });
  await Promise.all([batcher.add([1]), batcher.add([2, 3]), batcher.add([4])]);
  assert.deepEqual(inserts, [[1, 2, 3, 4]]);
});

test('a lone small batch is sent after maxWaitMs', async () => {
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), { maxRows: 1000, intervalMs: 30 });
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
    { maxRows: 2, intervalMs: 60_000 },
  );
  const results = await Promise.allSettled([batcher.add([1]), batcher.add([2])]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  await batcher.add([1, 2]);
  assert.deepEqual(inserts, [[1, 2]]);
});

test('empty batches resolve at once and flush waits for inserts under way', async () => {
  let release!: () => void;
  const batcher = new RowBatcher<number>(() => new Promise<void>((resolve) => (release = resolve)), { maxRows: 1, intervalMs: 60_000 });
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

test('once every batch in hand is waiting, their rows go as soon as the last insert is intervalMs old', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), { maxRows: 1000, intervalMs: 60_000, now: () => clock });

  // A minute after the start (or the last insert), a lone batch in hand goes at once.
  clock = 60_000;
  await batcher.add([1], 1);
  assert.deepEqual(inserts, [[1]]);

  // Ten seconds after that insert, the next waits out the rest of the minute: one insert per interval.
  clock = 70_000;
  let stored = false;
  const second = batcher.add([2], 1).then(() => (stored = true));
  t.mock.timers.tick(49_999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stored, false);
  t.mock.timers.tick(1);
  await second;
  assert.deepEqual(inserts, [[1], [2]]);
});

test('while another batch in hand has not added its rows, the rows wait for it', async () => {
  let clock = 0;
  const inserts: number[][] = [];
  const batcher = new RowBatcher<number>(async (rows) => void inserts.push(rows), { maxRows: 1000, intervalMs: 60_000, now: () => clock });
  clock = 60_000;
  const first = batcher.add([1], 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(inserts, []);
  await Promise.all([first, batcher.add([2, 3], 2)]);
  assert.deepEqual(inserts, [[1, 2, 3]]);
});

test('batches whose insert is under way count as waiting: the rows of the last one in hand need not wait for the timer', async () => {
  let clock = 0;
  const inserts: number[][] = [];
  let release!: () => void;
  const firstInsert = new Promise<void>((resolve) => (release = resolve));
  const batcher = new RowBatcher<number>(
    async (rows) => {
      if (inserts.push(rows) === 1) await firstInsert;
    },
    { maxRows: 1000, intervalMs: 60_000, now: () => clock },
  );
  clock = 60_000;
  const first = batcher.add([1], 1);
  // A second batch arrives while the first one's insert is on its way, a minute later.
  clock = 120_000;
  const second = batcher.add([2], 2);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(inserts, [[1], [2]]);
});

test('each insert is counted with why it was sent', async () => {
  let clock = 0;
  const sent: string[] = [];
  const batcher = new RowBatcher<number>(async () => {}, {
    maxRows: 3,
    intervalMs: 60_000,
    enoughWaiting: (waiting) => waiting >= 2,
    onSend: (reason, rows) => sent.push(`${reason} ${rows}`),
    now: () => clock,
  });
  await batcher.add([1, 2, 3]);
  await Promise.all([batcher.add([4]), batcher.add([5])]);
  clock = 120_000;
  await batcher.add([6], 1);
  const pending = batcher.add([7]);
  await batcher.flush();
  await pending;
  assert.deepEqual(sent, ['rows 3', 'company 2', 'all-waiting 1', 'flush 1']);
});

test('at most maxInFlight inserts are under way: the next starts when one ends, and flush waits for them all', async () => {
  const started: number[][] = [];
  const releases = new Map<number, () => void>();
  const batcher = new RowBatcher<number>(
    (rows) => {
      started.push(rows);
      return new Promise<void>((resolve) => releases.set(rows[0]!, resolve));
    },
    { maxRows: 1, intervalMs: 60_000, maxInFlight: 2 },
  );
  const stored = [batcher.add([1]), batcher.add([2]), batcher.add([3])];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [[1], [2]], 'two at once, the third waits');
  let flushed = false;
  const flushing = batcher.flush().then(() => (flushed = true));
  releases.get(2)!(); // the second ends first: the third takes its place
  await stored[1];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [[1], [2], [3]]);
  releases.get(3)!();
  await stored[2];
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(flushed, false, 'the first insert is still under way');
  releases.get(1)!();
  await Promise.all([...stored, flushing]);
  assert.equal(flushed, true);
});

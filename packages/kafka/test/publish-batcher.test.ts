import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProducerRecord } from '../src/producer.js';
import { BATCH_OVERHEAD_BYTES, PublishBatcher, recordBytes } from '../src/publish-batcher.js';

const record = (key: string, bytes = 10): ProducerRecord => ({ topic: 't', key, value: Buffer.alloc(bytes), headers: {} });
const keys = (records: ProducerRecord[]) => records.map((r) => r.key);

/** A send that stays open until the test settles it. */
function controlledSends() {
  const sends: { keys: string[]; settle: (error?: Error) => void }[] = [];
  const send = (records: ProducerRecord[]) =>
    new Promise<void>((resolve, reject) => sends.push({ keys: keys(records), settle: (error) => (error ? reject(error) : resolve()) }));
  return { sends, send };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('publishes made in the same turn go out in one send, and each settles when that send is acknowledged', async () => {
  const { sends, send } = controlledSends();
  const batcher = new PublishBatcher(send, { maxBatchBytes: 1 << 20, topicLimit: () => 1 << 20 });
  let settled = 0;
  const a = batcher.add([record('a1'), record('a2')]).acknowledged.then(() => settled++);
  const b = batcher.add([record('b1')]).acknowledged.then(() => settled++);
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['a1', 'a2', 'b1']]);
  assert.equal(settled, 0, 'nothing is acknowledged before Kafka answers');
  sends[0]!.settle();
  await Promise.all([a, b]);
  assert.equal(settled, 2);
});

test('publishes arriving while a send is under way share the next send', async () => {
  const { sends, send } = controlledSends();
  const batcher = new PublishBatcher(send, { maxBatchBytes: 1 << 20, topicLimit: () => 1 << 20 });
  const first = batcher.add([record('a')]).acknowledged;
  await turn();
  const later = [batcher.add([record('b')]).acknowledged, batcher.add([record('c')]).acknowledged];
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['a']], 'one send at a time');
  sends[0]!.settle();
  await first;
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['a'], ['b', 'c']]);
  sends[1]!.settle();
  await Promise.all(later);
  await batcher.drained();
});

test('a failed send rejects exactly the publishes it carried; the next ones go in a send of their own', async () => {
  const { sends, send } = controlledSends();
  const batcher = new PublishBatcher(send, { maxBatchBytes: 1 << 20, topicLimit: () => 1 << 20 });
  const failed = [batcher.add([record('a')]).acknowledged, batcher.add([record('b')]).acknowledged];
  await turn();
  const after = batcher.add([record('c')]).acknowledged;
  sends[0]!.settle(new Error('broker down'));
  const outcomes = await Promise.allSettled(failed);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  await turn();
  assert.deepEqual(sends[1]?.keys, ['c']);
  sends[1]!.settle();
  await after;
});

test('a publish larger than one send is split over several, in order, and acknowledged once all of them were; a withdrawn publish is never sent', async () => {
  const { sends, send } = controlledSends();
  const size = recordBytes(record('xx', 20));
  const batcher = new PublishBatcher(send, { maxBatchBytes: 2 * size, topicLimit: () => 1 << 20 });
  let bigAcknowledged = false;
  const big = batcher.add([record('b1', 20), record('b2', 20), record('b3', 20)]).acknowledged.then(() => (bigAcknowledged = true));
  const withdrawn = batcher.add([record('gone', 20)]);
  const last = batcher.add([record('s2', 20)]).acknowledged;
  await withdrawn.withdraw();
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['b1', 'b2']]);
  sends[0]!.settle();
  await turn();
  assert.equal(bigAcknowledged, false, 'not acknowledged before its last record is');
  assert.deepEqual(sends[1]?.keys, ['b3', 's2']);
  sends[1]!.settle();
  await Promise.all([big, last]);
  await batcher.drained();
  assert.equal(sends.length, 2);
});

test("each topic's bytes in one send stay under that topic's max.message.bytes, whatever the other topics hold", async () => {
  const { sends, send } = controlledSends();
  const size = recordBytes({ topic: 'small', key: 'k0', value: Buffer.alloc(100), headers: {} });
  const limits = { small: BATCH_OVERHEAD_BYTES + 2 * size, large: 1 << 20 } as Record<string, number>;
  const batcher = new PublishBatcher(send, { maxBatchBytes: 1 << 20, topicLimit: (topic) => limits[topic]! });
  const uploads = [0, 1, 2].map((i) =>
    batcher.add([
      { topic: 'large', key: `p${i}`, value: Buffer.alloc(100), headers: {} },
      { topic: 'small', key: `k${i}`, value: Buffer.alloc(100), headers: {} },
    ]).acknowledged,
  );
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['p0', 'k0', 'p1', 'k1', 'p2']]);
  sends[0]!.settle();
  await turn();
  assert.deepEqual(sends[1]?.keys, ['k2']);
  sends[1]!.settle();
  await Promise.all(uploads);
});

test('a failed send rejects a publish split over sends and drops the rest of it; later publishes still go', async () => {
  const { sends, send } = controlledSends();
  const size = recordBytes(record('xx', 20));
  const batcher = new PublishBatcher(send, { maxBatchBytes: size, topicLimit: () => 1 << 20 });
  const big = batcher.add([record('b1', 20), record('b2', 20)]).acknowledged;
  const later = batcher.add([record('c', 20)]).acknowledged;
  await turn();
  sends[0]!.settle(new Error('broker down'));
  await assert.rejects(big, /broker down/);
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['b1'], ['c']], 'b2 is never sent');
  sends[1]!.settle();
  await later;
});

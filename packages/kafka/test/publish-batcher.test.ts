import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PublishBatcher, type ProducerRecord } from '../src/producer.js';

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
  const batcher = new PublishBatcher(send, 1 << 20);
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
  const batcher = new PublishBatcher(send, 1 << 20);
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
  const batcher = new PublishBatcher(send, 1 << 20);
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

test('sends stay under maxBatchBytes without ever splitting one publish; a withdrawn publish is never sent', async () => {
  const { sends, send } = controlledSends();
  const batcher = new PublishBatcher(send, 25);
  const big = batcher.add([record('big1', 20), record('big2', 20)]).acknowledged;
  const small = batcher.add([record('s1', 10)]).acknowledged;
  const withdrawn = batcher.add([record('gone', 10)]);
  const last = batcher.add([record('s2', 10)]).acknowledged;
  withdrawn.withdraw();
  await turn();
  assert.deepEqual(sends.map((s) => s.keys), [['big1', 'big2']]);
  sends[0]!.settle();
  await big;
  await turn();
  assert.deepEqual(sends[1]?.keys, ['s1', 's2']);
  sends[1]!.settle();
  await Promise.all([small, last]);
  await batcher.drained();
  assert.equal(sends.length, 2);
});

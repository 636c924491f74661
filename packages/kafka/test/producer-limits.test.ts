import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { startKafka, type KafkaServer } from '@sophon/test-kit';
import { createDurableProducer, createKafkaClient, readTopicLimits, readTopicToEnd, RecordTooLargeError, type ProducerRecord } from '../src/index.js';

/**
 * Sends never hold more than a topic accepts. The mock broker has no topic configs, so the
 * limits are deploy/kafka/topics.json's, in the producer and here alike.
 */
const logger = createLogger({ service: 'producer-limits', level: 'silent' });
const TOPIC = 'history-events';
const limit = readTopicLimits().get(TOPIC)!;
let kafka: KafkaServer;

before(async () => {
  kafka = await startKafka({ topics: { [TOPIC]: 2 } });
});
after(() => kafka.close());

const client = () => createKafkaClient({ brokers: kafka.brokers, clientId: 'producer-limits' }, logger);
const eventsOfOneBox = (upload: number, count: number, bytes: number): ProducerRecord[] =>
  Array.from({ length: count }, (_, i) => ({ topic: TOPIC, key: 'box-1', value: Buffer.alloc(bytes, `${upload}-${i};`), headers: { 'event-id': `${upload}-${i}` } }));

test('three full batches from one box at once are all stored, in record batches no larger than the topic accepts', async () => {
  assert.ok(limit >= 1024 * 1024, `topics.json gives ${TOPIC} a max.message.bytes (${limit})`);
  const producer = createDurableProducer(client(), logger);
  await producer.connect();
  try {
    // Each upload is 100 events of 0.4 × limit / 100 bytes: together 1.2 × the limit, on one partition.
    const bytes = Math.floor((0.4 * limit) / 100);
    await Promise.all([0, 1, 2].map((upload) => producer.publish(eventsOfOneBox(upload, 100, bytes))));
  } finally {
    await producer.disconnect();
  }
  const stored = await readTopicToEnd(client(), TOPIC);
  assert.equal(stored.length, 300);
  const batchBytes = new Map<string, number>();
  for (const message of stored) {
    const batch = `${message.partition}/${message.batch!.firstOffset}`;
    batchBytes.set(batch, (batchBytes.get(batch) ?? 0) + message.value.length);
  }
  assert.ok(batchBytes.size > 1, 'the uploads went out in more than one record batch');
  for (const [batch, bytes] of batchBytes) assert.ok(bytes < limit, `record batch ${batch} holds ${bytes} bytes, over ${TOPIC}'s ${limit}`);
  // One box's events keep their order: within each upload, as sent.
  for (const upload of [0, 1, 2]) {
    const order = stored.map((message) => message.headers['event-id']!).filter((id) => id.startsWith(`${upload}-`));
    assert.deepEqual(order, Array.from({ length: 100 }, (_, i) => `${upload}-${i}`));
  }
});

test('a record larger than its topic accepts is refused on its own, clearly; publishes beside it are stored', async () => {
  const producer = createDurableProducer(client(), logger);
  await producer.connect();
  try {
    const [tooLarge, beside] = await Promise.allSettled([
      producer.publish(eventsOfOneBox(7, 1, limit + 1)),
      producer.publish(eventsOfOneBox(8, 1, 100)),
    ]);
    assert.equal(tooLarge.status, 'rejected');
    const error = (tooLarge as PromiseRejectedResult).reason as RecordTooLargeError;
    assert.ok(error instanceof RecordTooLargeError);
    assert.equal(error.maybeStored, false);
    assert.match(error.message, new RegExp(`larger than topic ${TOPIC} accepts \\(max.message.bytes ${limit}\\)`));
    assert.equal(beside.status, 'fulfilled');
  } finally {
    await producer.disconnect();
  }
});

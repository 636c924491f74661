import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { KAFKA_API_KEYS, KAFKA_ERROR_CODES, metricSum, startKafka, type KafkaServer } from '@sophon/test-kit';
import { Registry } from 'prom-client';
import { createDurableProducer, createKafkaClient, readTopicToEnd, type ConsumedMessage, type DurableProducer, type ProducerRecord } from '../src/index.js';

/**
 * The producer under the mock broker's own faults. After each one, every publish that was
 * acknowledged must be readable from Kafka, and no two different records may carry the same
 * producer id and sequence number on a partition: a real broker keeps only the first of those
 * and acknowledges the second without writing it (librdkafka's mock does not check sequences,
 * so the check is made here on what it stored).
 */
const logger = createLogger({ service: 'producer-faults', level: 'silent' });
const REQUEST_TIMEOUT_MS = 2_000;
let kafka: KafkaServer;
let run = 0;

before(async () => {
  kafka = await startKafka();
});
after(() => kafka.close());

const client = () => createKafkaClient({ brokers: kafka.brokers, clientId: 'producer-faults', requestTimeoutMs: REQUEST_TIMEOUT_MS }, logger);

/** Fresh topics per test (auto-created by the mock on first use), so the tests do not see each other's records. */
function scenario() {
  run++;
  const topics = { images: `fault-images-${run}`, events: `fault-events-${run}` };
  const registry = new Registry();
  const producer = createDurableProducer(client(), logger, { publishTimeoutMs: 8_000, retries: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS, registry });
  /** An upload as the gateway publishes it: its picture first, then its event. */
  const upload = (id: string): ProducerRecord[] => [
    { topic: topics.images, key: id, value: Buffer.from(`picture ${id}`), headers: {} },
    { topic: topics.events, key: 'box-1', value: Buffer.from(`event ${id}`), headers: {} },
  ];
  const acknowledged: string[] = [];
  const publish = async (id: string) => {
    try {
      await producer.publish(upload(id));
      acknowledged.push(id);
      return 'acknowledged';
    } catch {
      return 'failed';
    }
  };
  return { topics, registry, producer, publish, acknowledged };
}

async function assertAcknowledgedAreStored(topics: { images: string; events: string }, acknowledged: string[]) {
  for (const [topic, prefix] of [
    [topics.images, 'picture'],
    [topics.events, 'event'],
  ] as const) {
    const stored = await readTopicToEnd(client(), topic, { timeoutMs: 20_000 });
    const values = stored.map((message) => String(message.value));
    for (const id of acknowledged) assert.ok(values.includes(`${prefix} ${id}`), `acknowledged ${prefix} ${id} is in ${topic} (stored: ${values.join(', ')})`);
    assertNoSequenceReused(stored);
  }
}

function assertNoSequenceReused(stored: ConsumedMessage[]) {
  const bySequence = new Map<string, string>();
  for (const message of stored) {
    assert.ok(message.batch, 'records are written by the idempotent producer');
    const slot = `${message.partition}/${message.batch.producerId}/${message.batch.sequence}`;
    const value = String(message.value);
    const earlier = bySequence.get(slot);
    assert.ok(earlier === undefined || earlier === value, `"${value}" reuses the sequence of "${earlier}" (${slot}): a real broker would drop it as a duplicate`);
    bySequence.set(slot, value);
  }
}

/** The test kit's one way to read a metric, on the producer's registry. */
const metric = async (registry: Registry, name: string) => metricSum(await registry.metrics(), name);

test('a broker that answers after the request timeout (records appended, send failed) does not make later acknowledgements lie', async () => {
  const { topics, registry, producer, publish, acknowledged } = scenario();
  await producer.connect();
  try {
    assert.equal(await publish('a'), 'acknowledged');
    await kafka.faults.roundTripTime(1, REQUEST_TIMEOUT_MS + 1_000);
    assert.equal(await publish('b'), 'failed');
    await kafka.faults.roundTripTime(1, 0);
    for (const id of ['c', 'd', 'e']) await publish(id);
    assert.deepEqual(acknowledged, ['a', 'c', 'd', 'e']);
    assert.ok((await metric(registry, 'kafka_producer_replaced_total')) >= 1, 'the failed producer was replaced');
    await assertAcknowledgedAreStored(topics, acknowledged);
  } finally {
    await producer.disconnect();
  }
});

test('produce requests refused until retries run out: later sends are stored, /readyz reports a producer that keeps failing', async () => {
  const { topics, registry, producer, publish, acknowledged } = scenario();
  await producer.connect();
  try {
    assert.equal(await publish('a'), 'acknowledged');
    await kafka.faults.requestErrors(KAFKA_API_KEYS.Produce, Array(12).fill(KAFKA_ERROR_CODES.NOT_ENOUGH_REPLICAS));
    for (const id of ['b', 'c', 'd']) assert.equal(await publish(id), 'failed');
    assert.equal(await metric(registry, 'kafka_producer_failed_sends_in_a_row'), 3);
    await assert.rejects(producer.checkConnection(), /last 3 sends to Kafka failed/);
    await kafka.faults.clearRequestErrors(KAFKA_API_KEYS.Produce);
    for (const id of ['e', 'f']) assert.equal(await publish(id), 'acknowledged');
    await producer.checkConnection();
    await assertAcknowledgedAreStored(topics, acknowledged);
  } finally {
    await producer.disconnect();
  }
});

test('a publish that times out: never sent, it fails as not stored; once sent, it waits for the send and tells the truth', async () => {
  const { topics } = scenario();
  const producer = createDurableProducer(client(), logger, { publishTimeoutMs: 300, retries: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const upload = (id: string): ProducerRecord[] => [{ topic: topics.events, key: 'box-1', value: Buffer.from(`event ${id}`), headers: {} }];
  await producer.connect();
  try {
    await producer.publish(upload('warm-up'));
    await kafka.faults.roundTripTime(1, 1_200);
    // 'slow' is sent at once and answered after the publish timeout; 'queued' waits behind it and is withdrawn unsent.
    const slow = producer.publish(upload('slow'));
    await new Promise((resolve) => setImmediate(resolve));
    const queued = producer.publish(upload('queued'));
    const [slowOutcome, queuedOutcome] = await Promise.allSettled([slow, queued]);
    await kafka.faults.roundTripTime(1, 0);

    assert.equal(slowOutcome.status, 'fulfilled', 'the send under way was acknowledged: the publish says so, late but true');
    assert.equal(queuedOutcome.status, 'rejected');
    assert.equal((queuedOutcome as PromiseRejectedResult).reason.maybeStored, false);
    const stored = (await readTopicToEnd(client(), topics.events)).map((message) => String(message.value));
    assert.deepEqual(stored, ['event warm-up', 'event slow'], 'the withdrawn publish never reaches Kafka');
  } finally {
    await producer.disconnect();
  }
});

test('with the broker gone, a publish that could not even connect says nothing was stored; after the restart publishes are stored', async () => {
  const { topics, producer, publish, acknowledged } = scenario();
  await producer.connect();
  try {
    assert.equal(await publish('a'), 'acknowledged');
    await kafka.stop();
    // The first send goes to the connection it had (it may have reached the broker); the replaced producer cannot connect at all.
    await assert.rejects(producer.publish([{ topic: topics.events, key: 'box-1', value: Buffer.from('lost-1'), headers: {} }]));
    await assert.rejects(producer.publish([{ topic: topics.events, key: 'box-1', value: Buffer.from('lost-2'), headers: {} }]), (error: { maybeStored?: boolean }) => error.maybeStored === false);
    await kafka.start();
    assert.equal(await publish('b'), 'acknowledged');
    // The restarted mock broker is empty: only what was acknowledged after it came back can be there.
    await assertAcknowledgedAreStored(topics, acknowledged.slice(1));
  } finally {
    await producer.disconnect();
  }
});

test('acknowledged sends and the records in them are counted: their ratio is what coalescing publishes gets', async () => {
  const { registry, producer, publish, acknowledged } = scenario();
  try {
    await producer.connect();
    // Publishes made in one turn of the event loop go out together (PublishBatcher).
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => publish(`together-${i}`)));
    assert.deepEqual(new Set(outcomes), new Set(['acknowledged']));
    assert.equal(acknowledged.length, 10);
    assert.equal(await metric(registry, 'kafka_producer_sent_records_total'), 20, 'two records per upload');
    const sends = await metric(registry, 'kafka_producer_sends_total');
    assert.ok(sends >= 1 && sends < 10, `ten publishes at once took ${sends} sends`);
  } finally {
    await producer.disconnect();
  }
});

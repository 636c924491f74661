import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { KAFKA_API_KEYS, KAFKA_ERROR_CODES, startKafka, type KafkaServer } from '../src/index.js';

let server: KafkaServer;
before(async () => {
  server = await startKafka({ topics: { 'kit-test': 2 } });
});
after(() => server.close());

const logger = createLogger({ service: 'test-kit-test', level: 'silent' });
// Few retries (kafkajs' initial and longest waits otherwise): a refused connect fails within a second.
const client = () => createKafkaClient({ brokers: server.brokers, clientId: 'test-kit', retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 30_000 } }, logger);

test('an idempotent producer is acknowledged by the mock broker with acks=all', async () => {
  const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const [result] = await producer.send({ topic: 'kit-test', acks: -1, messages: [{ key: 'k', value: 'v' }] });
  await producer.disconnect();
  assert.equal(result?.errorCode, 0);
  assert.equal(result?.topicName, 'kit-test');
});

test('topics are created with the requested partition count', async () => {
  const admin = client().admin();
  await admin.connect();
  const { topics } = await admin.fetchTopicMetadata({ topics: ['kit-test'] });
  await admin.disconnect();
  assert.equal(topics[0]?.partitions.length, 2);
});

test('a stopped broker refuses, and starts again on the same port', async () => {
  const port = server.port;
  await server.stop();
  const producer = client().producer();
  await assert.rejects(producer.connect());
  await server.start();
  assert.equal(server.port, port);
  assert.deepEqual(server.brokers, [`127.0.0.1:${port}`]);
  await producer.connect();
  const [result] = await producer.send({ topic: 'kit-test', messages: [{ value: 'after restart' }] });
  await producer.disconnect();
  assert.equal(result?.errorCode, 0);
});

test('faults are injected at run time: a pushed request error fails the next produce, and bad commands are refused', async () => {
  const producer = client().producer({ retry: { retries: 0 } });
  await producer.connect();
  try {
    await server.faults.requestErrors(KAFKA_API_KEYS.Produce, [KAFKA_ERROR_CODES.POLICY_VIOLATION]);
    await assert.rejects(producer.send({ topic: 'kit-test', acks: -1, messages: [{ value: 'refused' }] }), /policy/i);
    const [result] = await producer.send({ topic: 'kit-test', acks: -1, messages: [{ value: 'accepted' }] });
    assert.equal(result?.errorCode, 0);
  } finally {
    await producer.disconnect();
  }
  await assert.rejects(server.faults.roundTripTime(99, 10), /refused the command: ERR/);
});

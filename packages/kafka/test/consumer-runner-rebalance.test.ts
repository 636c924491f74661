import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger } from '@sophon/logger';
import { committedOffsets, startKafka, waitFor as until, type KafkaServer } from '@sophon/test-kit';
import {
  createConsumerMetrics,
  createConsumerRunner,
  createDurableProducer,
  createKafkaClient,
  type ConsumerRunner,
  type DurableProducer,
  type MessageSink,
} from '../src/index.js';

const logger = createLogger({ service: 'runner-rebalance-test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
const SESSION_TIMEOUT_MS = 4000;
let server: KafkaServer;
let producer: DurableProducer;
const runners: ConsumerRunner[] = [];

before(async () => {
  server = await startKafka({ topics: { 'rebalance-in': 2, dlq: 1 } });
  producer = createDurableProducer(createKafkaClient({ brokers: server.brokers, clientId: 'rebalance-test' }, logger), logger);
  await producer.connect();
});
after(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  await producer.disconnect();
  await server.close();
});

function startRunner(groupId: string, sink: MessageSink) {
  const runner = createConsumerRunner({
    kafka: createKafkaClient({ brokers: server.brokers, clientId: 'rebalance-test' }, logger),
    groupId,
    topics: ['rebalance-in'],
    sink,
    deadLetter: { producer, topic: 'dlq' },
    metrics: createConsumerMetrics(new Registry()),
    logger,
    settings: {
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 200,
      maxBytesPerPartition: 1024 * 1024,
      partitionsConsumedConcurrently: 2,
      retry: { initialMs: 100, maxMs: 300 },
      fromBeginning: true,
    },
  });
  runners.push(runner);
  return runner;
}

/** `count` keys for each of the topic's two partitions, as the producer's partitioner places them. */
function keysPerPartition(count: number): string[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const keys: string[][] = [[], []];
  for (let i = 0; keys.some((k) => k.length < count); i++) {
    const key = `k${i}`;
    const partition = partitioner({ topic: 'rebalance-in', partitionMetadata: [0, 1].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 })), message: { key, value: null } });
    if (keys[partition]!.length < count) keys[partition]!.push(key);
  }
  return keys.flat();
}

test('a member retrying a sink outage takes part in a rebalance and stops retrying the partitions it lost', async () => {
  const perPartition = 10;
  await producer.publish(keysPerPartition(perPartition).map((key) => ({ topic: 'rebalance-in', key, value: Buffer.from(key), headers: {} })));

  // The first member's sink is down for the whole test; it records which partitions it tries.
  const attempts: number[] = [];
  const failing = startRunner('rebalance-group', {
    async handleBatch(messages) {
      attempts.push(messages[0]!.partition);
      throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
    },
  });
  await failing.start();
  await until(() => attempts.includes(0) && attempts.includes(1), 'the first member retrying both partitions');

  // A second, healthy member joins: it must get a partition while the first is still failing.
  const stored = new Map<number, number>();
  let attemptsWhenSecondStored = -1;
  let ownedBySecond = -1;
  const healthy = startRunner('rebalance-group', {
    async handleBatch(messages) {
      const { partition } = messages[0]!;
      if (ownedBySecond < 0) {
        ownedBySecond = partition;
        attemptsWhenSecondStored = attempts.length;
      }
      stored.set(partition, (stored.get(partition) ?? 0) + messages.length);
    },
  });
  await healthy.start();
  // Without heartbeats answering the rebalance, the group waits for the first member's rebalance
  // timeout (kafkajs' 60 s): half of that tells the two apart with room for a loaded machine
  // (three session timeouts were seen to be too tight on one).
  await until(() => ownedBySecond >= 0, 'the second member storing a partition', 30_000);
  await until(() => stored.get(ownedBySecond) === perPartition, 'the second member storing all of its partition');

  // The first member is still retrying (its own partition), and no longer the one it lost.
  await until(() => attempts.length >= attemptsWhenSecondStored + 5, 'the first member retrying on');
  const lostPartitionAttempts = attempts.slice(attemptsWhenSecondStored).filter((p) => p === ownedBySecond);
  assert.deepEqual(lostPartitionAttempts, [], 'no retries of a revoked partition after its new owner stored it');
  assert.equal(stored.size, 1, 'the second member got only one partition: the first is still a member');
  assert.equal(await committedOffsets(server.brokers, 'rebalance-group', 'rebalance-in'), perPartition, 'only the stored partition is committed');

  // The first member leaves: its partition moves to the healthy one, uncommitted work included.
  await failing.stop();
  await until(() => stored.get(1 - ownedBySecond) === perPartition, 'the other partition stored by the second member');
  await until(async () => (await committedOffsets(server.brokers, 'rebalance-group', 'rebalance-in')) === 2 * perPartition, 'everything committed');
});

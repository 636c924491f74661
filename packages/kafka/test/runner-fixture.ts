/** The consumer-runner tests' set-up: one test broker per file, a producer, runners stopped at the end. */
import { after, before } from 'node:test';
import { Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '@sophon/logger';
import { committedOffsets, startKafka, type KafkaServer } from '@sophon/test-kit';
import {
  createConsumerMetrics,
  createConsumerRunner,
  createDurableProducer,
  createKafkaClient,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type ConsumerSettings,
  type DurableProducer,
} from '../src/index.js';

/** Short sessions and waits, so that joins and rebalances on the test broker take seconds. */
const TEST_SETTINGS: ConsumerSettings = {
  sessionTimeoutMs: 4000,
  heartbeatIntervalMs: 500,
  maxWaitTimeMs: 200,
  maxBytesPerPartition: 4 * 1024 * 1024,
  partitionsConsumedConcurrently: 2,
  retry: { initialMs: 50, maxMs: 200 },
  fromBeginning: true,
};

export const DEAD_LETTER_TOPIC = 'dlq';

export interface RunnerOptions extends Pick<ConsumerRunnerOptions, 'groupId' | 'topics' | 'sink'> {
  registry?: Registry;
  logger?: Logger;
  settings?: Partial<ConsumerSettings>;
}

export interface RunnerFixture {
  server(): KafkaServer;
  producer(): DurableProducer;
  logger: Logger;
  /** A runner on the test broker, dead-lettering to `dlq`; stopped after the file's tests. */
  startRunner(options: RunnerOptions): ConsumerRunner;
  committed(groupId: string, topic: string): Promise<number>;
}

/** Registers the file's before/after hooks: a broker with `topics` (and `dlq`), a connected producer. */
export function useRunnerFixture(name: string, topics: Record<string, number>): RunnerFixture {
  const logger = createLogger({ service: name, level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
  const runners: ConsumerRunner[] = [];
  let server: KafkaServer | undefined;
  let producer: DurableProducer | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the runner fixture is used before its before() hook ran');
    return value;
  };
  const kafka = () => createKafkaClient({ brokers: started(server).brokers, clientId: name }, logger);

  before(async () => {
    server = await startKafka({ topics: { ...topics, [DEAD_LETTER_TOPIC]: 1 } });
    producer = createDurableProducer(kafka(), logger);
    await producer.connect();
  });
  after(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await producer?.disconnect();
    await server?.close();
  });

  return {
    server: () => started(server),
    producer: () => started(producer),
    logger,
    startRunner(options) {
      const runner = createConsumerRunner({
        kafka: kafka(),
        groupId: options.groupId,
        topics: options.topics,
        sink: options.sink,
        deadLetter: { producer: started(producer), topic: DEAD_LETTER_TOPIC },
        metrics: createConsumerMetrics(options.registry ?? new Registry()),
        logger: options.logger ?? logger,
        settings: { ...TEST_SETTINGS, ...options.settings },
      });
      runners.push(runner);
      return runner;
    },
    committed: (groupId, topic) => committedOffsets(started(server).brokers, groupId, topic),
  };
}

/** `count` keys for each of a topic's partitions, as the producer's partitioner places them. */
export function keysPerPartition(topic: string, partitions: number, count: number): string[][] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
  const keys: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; keys.some((k) => k.length < count); i++) {
    const key = `k${i}`;
    const partition = partitioner({ topic, partitionMetadata, message: { key, value: null } });
    if (keys[partition]!.length < count) keys[partition]!.push(key);
  }
  return keys;
}

import assert from 'node:assert/strict';
import { createClickHouseClient, migrate, type ClickHouseClient } from '@sophon/clickhouse';
import type { RunningConsumerService } from '@sophon/consumer-service';
import { createDurableProducer, createKafkaClient, headersToStrings, type DurableProducer } from '@sophon/kafka';
import { createLogger, type Logger } from '@sophon/logger';
import { committedOffsets, MOCK_KAFKA_CONSUMER_ENV, startClickHouse, startKafka, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { waitFor as until } from '@sophon/test-kit';
import type { Kafka } from 'kafkajs';
import { loadRegistrationWorkerConfig } from '../src/config.js';
import { startRegistrationWorker } from '../src/registration-worker.js';
import { STRANGER_GROUP } from './events.js';

export const DATABASE = 'sophon';
export const TOPICS = { historyEvents: 'history-events', eventImages: 'event-images', faceRegistrations: 'face-registrations', deadLetter: 'pipeline-dead-letter' };

export const logger: Logger = createLogger({ service: 'registration-worker-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

export interface TestServers {
  kafka: KafkaServer;
  clickhouse: ClickHouseServer;
  /** Admin connection to the migrated database. */
  db: ClickHouseClient;
  kafkaClient: Kafka;
  producer: DurableProducer;
  close(): Promise<void>;
}

/** Mock Kafka with the pipeline's topics and ClickHouse 18.16 with the migrations applied. */
export async function startServers(): Promise<TestServers> {
  const [kafka, clickhouse] = await Promise.all([
    startKafka({ topics: { [TOPICS.historyEvents]: 4, [TOPICS.eventImages]: 4, [TOPICS.faceRegistrations]: 4, [TOPICS.deadLetter]: 1 } }),
    startClickHouse(),
  ]);
  const root = createClickHouseClient({ url: clickhouse.url, username: 'default', password: '' }, logger);
  await migrate({ client: root, database: DATABASE, logger });
  await root.close();
  const db = createClickHouseClient({ url: clickhouse.url, username: 'default', password: '', database: DATABASE }, logger);
  const kafkaClient = createKafkaClient({ brokers: kafka.brokers, clientId: 'registration-worker-test' }, logger);
  const producer = createDurableProducer(kafkaClient, logger);
  await producer.connect();
  return {
    kafka,
    clickhouse,
    db,
    kafkaClient,
    producer,
    async close() {
      await producer.disconnect();
      await db.close();
      await Promise.all([kafka.close(), clickhouse.close()]);
    },
  };
}

/** The worker in this process, its ops server on a free port, with the brief's quick consumer settings. */
export function startTestWorker(servers: TestServers, groupId: string): Promise<RunningConsumerService> {
  const config = loadRegistrationWorkerConfig({
    KAFKA_BROKERS: servers.kafka.brokers.join(','),
    CLICKHOUSE_URL: servers.clickhouse.url,
    CLICKHOUSE_DATABASE: DATABASE,
    CONSUMER_GROUP_ID: groupId,
    OPS_HOST: '127.0.0.1',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...MOCK_KAFKA_CONSUMER_ENV,
    REGISTRATION_PUBLISH_TIMEOUT_MS: '3000',
    REGISTRATION_STRANGER_GROUP: STRANGER_GROUP,
    SHUTDOWN_TIMEOUT_MS: '10000',
  });
  return startRegistrationWorker(config, logger);
}

export { until };

/** Messages on the topic: the sum of its partitions' high watermarks. */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}


/** Waits until the group has committed past every message of history-events. */
export async function untilCaughtUp(servers: TestServers, groupId: string, timeoutMs?: number): Promise<void> {
  const end = await topicSize(servers.kafkaClient, TOPICS.historyEvents);
  await until(async () => (await committedOffsets(servers.kafka.brokers, groupId, TOPICS.historyEvents)) === end, `${groupId} to commit ${end} offsets`, timeoutMs);
}

export interface ReadMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Every message of `topics` from the beginning, read into memory by one consumer that stays subscribed. */
export async function startTopicReader(kafka: Kafka, topics: string[]) {
  const consumer = kafka.consumer({ groupId: `reader-${process.pid}-${Date.now()}`, sessionTimeout: 4000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      messages.push({ topic, key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers: headersToStrings(message.headers) });
    },
  });
  await joined;
  const on = (topic: string) => messages.filter((message) => message.topic === topic);
  return {
    on,
    /** The topic's messages once at least `atLeast` of them were read. */
    async read(topic: string, atLeast: number): Promise<ReadMessage[]> {
      await until(() => on(topic).length >= atLeast, `${atLeast} messages on ${topic}`, 10_000);
      return on(topic);
    },
    close: () => consumer.disconnect(),
  };
}

export async function select<Row>(db: ClickHouseClient, sql: string): Promise<Row[]> {
  return (await db.query({ query: sql, format: 'JSONEachRow' })).json<Row>();
}

export async function count(db: ClickHouseClient, sql: string): Promise<number> {
  const [row] = await select<{ n: string | number }>(db, sql);
  assert.ok(row, sql);
  return Number(row.n);
}

/** The sum of a metric's series on the worker's /metrics whose labels include `labels`; 0 when none. */
export async function metricValue(opsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((pair) => line.slice(0, line.lastIndexOf(' ')).includes(pair)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

export async function readyStatus(opsUrl: string): Promise<number> {
  return (await fetch(`${opsUrl}/readyz`)).status;
}

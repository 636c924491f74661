import assert from 'node:assert/strict';
import { createClickHouseClient, migrate, type ClickHouseClient } from '@sophon/clickhouse';
import type { RunningConsumerService } from '@sophon/consumer-service';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { createDurableProducer, createKafkaClient, type DurableProducer } from '@sophon/kafka';
import { createLogger, type Logger } from '@sophon/logger';
import { committedOffsets, MOCK_KAFKA_CONSUMER_ENV, pipelineTopicPartitions, startClickHouse, startKafka, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { waitFor as until } from '@sophon/test-kit';
import type { Kafka } from 'kafkajs';
import { loadRegistrationWorkerConfig } from '../src/config.js';
import { startRegistrationWorker } from '../src/registration-worker.js';
import { STRANGER_GROUP } from './events.js';

export const DATABASE = 'sophon';
export const TOPICS = DEFAULT_TOPICS;

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
    startKafka({ topics: pipelineTopicPartitions() }),
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

export { startTopicReader, type TopicReader } from '@sophon/test-kit';

export async function select<Row>(db: ClickHouseClient, sql: string): Promise<Row[]> {
  return (await db.query({ query: sql, format: 'JSONEachRow' })).json<Row>();
}

export async function count(db: ClickHouseClient, sql: string): Promise<number> {
  const [row] = await select<{ n: string | number }>(db, sql);
  assert.ok(row, sql);
  return Number(row.n);
}

export { metricValue } from '@sophon/test-kit';

export async function readyStatus(opsUrl: string): Promise<number> {
  return (await fetch(`${opsUrl}/readyz`)).status;
}

import assert from 'node:assert/strict';
import type { Client } from 'minio';
import { createClickHouseClient, migrate, type ClickHouseClient } from '@sophon/clickhouse';
import { DEFAULT_TOPICS, encodeFaceRegistration, type FaceRegistrationCommand } from '@sophon/event-contract';
import { createDurableProducer, createKafkaClient, type DurableProducer, type ProducerRecord } from '@sophon/kafka';
import { createLogger, type Logger } from '@sophon/logger';
import { createObjectStore } from '@sophon/object-store';
import { MOCK_KAFKA_CONSUMER_ENV, pipelineTopicPartitions, startClickHouse, startKafka, startS3, type ClickHouseServer, type KafkaServer, type S3Server } from '@sophon/test-kit';
import { loadDeviceSyncConfig } from '../src/config.js';
import { startDeviceSync, type RunningDeviceSync } from '../src/device-sync.js';

export { waitFor as until, startTopicReader, metricValue } from '@sophon/test-kit';

export const DATABASE = 'sophon';
export const BUCKET = 'sophon-events';
export const RETRY_TOPIC = 'face-registrations-retry';
export const TOPICS = DEFAULT_TOPICS;
export const logger: Logger = createLogger({ service: 'device-sync-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

export interface TestServers {
  kafka: KafkaServer;
  s3: S3Server;
  clickhouse: ClickHouseServer;
  db: ClickHouseClient;
  producer: DurableProducer;
  s3Client: Client;
  close(): Promise<void>;
}

/** Mock Kafka (the pipeline's topics and the retry topic), s3rver with the bucket, ClickHouse 18.16 migrated. */
export async function startServers(): Promise<TestServers> {
  const [kafka, s3, clickhouse] = await Promise.all([
    startKafka({ topics: { ...pipelineTopicPartitions(2), [RETRY_TOPIC]: 2 } }),
    startS3({ buckets: [BUCKET] }),
    startClickHouse(),
  ]);
  const root = createClickHouseClient({ url: clickhouse.url, username: 'default', password: '' }, logger);
  try {
    await migrate({ client: root, database: DATABASE, logger });
  } catch (error) {
    // Or the servers' child processes keep the test process alive.
    await Promise.all([kafka.close(), s3.close(), clickhouse.close()]);
    throw error;
  } finally {
    await root.close();
  }
  const db = createClickHouseClient({ url: clickhouse.url, username: 'default', password: '', database: DATABASE }, logger);
  const producer = createDurableProducer(createKafkaClient({ brokers: kafka.brokers, clientId: 'device-sync-test' }, logger), logger);
  await producer.connect();
  const store = createObjectStore({ endPoint: s3.endPoint, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region, requestTimeoutMs: 5_000 });
  return {
    kafka,
    s3,
    clickhouse,
    db,
    producer,
    s3Client: store.client,
    async close() {
      store.close();
      await producer.disconnect();
      await db.close();
      await Promise.all([kafka.close(), s3.close(), clickhouse.close()]);
    },
  };
}

/** The service in this process with quick consumer and retry settings. */
export function startTestDeviceSync(servers: TestServers, overrides: Record<string, string>): Promise<RunningDeviceSync> {
  const config = loadDeviceSyncConfig({
    KAFKA_BROKERS: servers.kafka.brokers.join(','),
    CLICKHOUSE_URL: servers.clickhouse.url,
    CLICKHOUSE_DATABASE: DATABASE,
    S3_ENDPOINT: servers.s3.url,
    S3_ACCESS_KEY: servers.s3.accessKey,
    S3_SECRET_KEY: servers.s3.secretKey,
    S3_REGION: servers.s3.region,
    S3_BUCKET: BUCKET,
    S3_REQUEST_TIMEOUT_MS: '3000',
    OPS_HOST: '127.0.0.1',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...MOCK_KAFKA_CONSUMER_ENV,
    DEVICE_SYNC_BOX_TIMEOUT_MS: '1000',
    DEVICE_SYNC_RETRY_INITIAL_MS: '200',
    DEVICE_SYNC_RETRY_MAX_MS: '800',
    SHUTDOWN_TIMEOUT_MS: '10000',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...overrides,
  });
  return startDeviceSync(config, logger);
}

let sequence = 0;

/** A command as the registration worker publishes it, for a face seen by `devSno`. */
export function command(devSno: string, overrides: Partial<FaceRegistrationCommand> = {}): FaceRegistrationCommand {
  const n = ++sequence;
  const eventId = `ev-${process.pid}-${n}`;
  const isUpdate = overrides.command === 'update-person-face';
  return {
    schema_version: 1,
    command: 'create-person',
    registration_id: `${eventId}:${isUpdate ? 'face_update' : 'new_stranger'}`,
    identity_id: `1602612036.${n}`,
    group_name: 'strangers',
    import_mode: false,
    reg_photo_key: `face/${devSno}/${eventId}.jpg`,
    ignore_exist: true,
    support_single_face: isUpdate,
    info: { name: `stranger ${n}`, type: 4 },
    source: { event_id: eventId, dev_sno: devSno, ep_id: `${devSno}__10.0.0.1`, event_time_ms: 1_700_000_000_000 + n * 1000 },
    ...overrides,
  };
}

/** The face-registrations message of a command, as the worker publishes it. */
export function commandRecord(cmd: FaceRegistrationCommand): ProducerRecord {
  return { topic: TOPICS.faceRegistrations, ...encodeFaceRegistration(cmd) };
}

/** Stores the command's face picture (as image-store would) and publishes the command. */
export async function publish(servers: TestServers, commands: { cmd: FaceRegistrationCommand; picture?: Buffer }[]): Promise<void> {
  for (const { cmd, picture } of commands) {
    if (picture && cmd.reg_photo_key) await servers.s3Client.putObject(BUCKET, cmd.reg_photo_key, picture, picture.length, { 'Content-Type': 'image/jpeg' });
  }
  await servers.producer.publish(commands.map(({ cmd }) => commandRecord(cmd)));
}

export async function select<Row>(db: ClickHouseClient, sql: string): Promise<Row[]> {
  return (await db.query({ query: sql, format: 'JSONEachRow' })).json<Row>();
}

export async function count(db: ClickHouseClient, sql: string): Promise<number> {
  const [row] = await select<{ n: string | number }>(db, sql);
  assert.ok(row, sql);
  return Number(row.n);
}

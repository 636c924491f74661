import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import { createHistoryEventAdapter, DEFAULT_TOPICS, type OutboundMessage } from '@sophon/event-contract';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { createDurableProducer, createKafkaClient, type ConsumedMessage, type DurableProducer } from '@sophon/kafka';
import { createLogger, type Logger } from '@sophon/logger';
import { committedOffsets, MOCK_KAFKA_CONSUMER_ENV, pipelineTopicPartitions, startKafka, startTopicReader, type KafkaServer, type S3Server } from '@sophon/test-kit';
import { waitFor as until } from '@sophon/test-kit';
import { loadImageStoreConfig } from '../src/config.js';
import { startImageStore } from '../src/image-store.js';
import { createObjectStore } from '@sophon/object-store';

export const BUCKET = 'sophon-events';
export const GROUP_ID = 'image-store';
export const IMAGES_TOPIC = DEFAULT_TOPICS.eventImages;
export const DEAD_LETTER_TOPIC = DEFAULT_TOPICS.deadLetter;

export const testLogger = createLogger({ service: 'image-store-test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });

/** A logger whose entries the test reads back, parsed. */
export function recordingLogger(): { logger: Logger; entries: Record<string, any>[] } {
  const entries: Record<string, any>[] = [];
  const logger = createLogger({ service: 'image-store-test', level: 'info', destination: { write: (line: string) => void entries.push(JSON.parse(line)) } });
  return { logger, entries };
}

/** The topics of deploy/kafka/topics.json, 4 partitions each: the test broker keeps ~5 MB per partition. */
export function startTestKafka(): Promise<KafkaServer> {
  return startKafka({ topics: pipelineTopicPartitions() });
}

/** The service's environment for tests: quick group joins and retries, ops on a free port. */
export function imageStoreEnv(kafka: KafkaServer, s3: S3Server, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    S3_ENDPOINT: s3.url,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_REQUEST_TIMEOUT_MS: '3000',
    OPS_PORT: '0',
    OPS_HOST: '127.0.0.1',
    ...MOCK_KAFKA_CONSUMER_ENV,
    SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...overrides,
  };
}

/** The image store in this process; resolves once it is a member of its group and S3 is ready. */
export async function startTestImageStore(kafka: KafkaServer, s3: S3Server, overrides: Record<string, string> = {}, logger: Logger = testLogger) {
  const service = await startImageStore(loadImageStoreConfig(imageStoreEnv(kafka, s3, overrides)), logger);
  await until(async () => (await readyz(service.opsUrl)).status === 200, 'the image store to be ready');
  return service;
}

interface ReadyzBody {
  checks: { name: string; ok: boolean; error?: string }[];
}

export async function readyz(opsUrl: string): Promise<{ status: number; body: ReadyzBody }> {
  const response = await fetch(`${opsUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyzBody };
}

export { metricValue } from '@sophon/test-kit';

export { until };

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * 1024 * 1024 });

/**
 * The Kafka messages the gateway publishes for event `n` of a series: four image messages, then
 * the history-events message. Picture sizes differ per event (so do their bytes) unless given.
 */
export function eventMessages(series: string, n: number, pictureBytes = (kind: number) => 100 + n * 4 + kind, extData: Record<string, unknown> = {}): OutboundMessage[] {
  const event = sampleHistoryEvent({
    identity_id: `${series}-${n}`,
    timestamp: 1_700_000_000_000 + n * 1000,
    reg_pic: tinyImage('jpeg', pictureBytes(0)).toString('base64'),
    ext_data: {
      ...extData,
      spot_pic: tinyImage('jpeg', pictureBytes(1)).toString('base64'),
      ir_pic: tinyImage('png', pictureBytes(2)).toString('base64'),
      recognize_face: tinyImage('webp', pictureBytes(3)).toString('base64'),
    },
  });
  const result = adapter.parse(event, { receivedAt: Date.now() });
  if (!result.ok) throw new Error(`sample event rejected: ${JSON.stringify(result.errors)}`);
  return result.messages;
}

export const imagesOf = (messages: OutboundMessage[]) => messages.filter((message) => message.topic === IMAGES_TOPIC);

export async function connectProducer(kafka: KafkaServer): Promise<DurableProducer> {
  const producer = createDurableProducer(createKafkaClient({ brokers: kafka.brokers, clientId: 'image-store-test' }, testLogger), testLogger);
  await producer.connect();
  return producer;
}

/** Offsets the group committed on a topic, summed over partitions (= messages committed past). */
export async function committedMessages(kafka: KafkaServer, topic = IMAGES_TOPIC, groupId = GROUP_ID): Promise<number> {
  return committedOffsets(kafka.brokers, groupId, topic);
}

/** Reads at least `count` messages of a topic from the beginning, with a group of its own. */
export async function readTopic(kafka: KafkaServer, topic: string, count: number): Promise<ConsumedMessage[]> {
  const reader = await startTopicReader(kafka.brokers, [topic]);
  try {
    return await reader.read(topic, count, 20_000);
  } finally {
    await reader.close();
  }
}

/**
 * The service's own minio client, to look at what it stored. Its keep-alive sockets are not closed
 * here: idle ones do not hold the process, and the test's S3 server drops them when it stops.
 */
export function s3Client(s3: S3Server): Client {
  const { endPoint, port, accessKey, secretKey, region } = s3;
  return createObjectStore({ endPoint, port, useSSL: false, accessKey, secretKey, region, requestTimeoutMs: 3_000 }).client;
}

/** Every key in the bucket, sorted ([] while the bucket does not exist). */
export async function listKeys(client: Client, bucket = BUCKET): Promise<string[]> {
  // s3rver answers a listing 500 when it catches an object half-written (file there, metadata not yet).
  for (let attempt = 1; ; attempt++) {
    try {
      if (!(await client.bucketExists(bucket))) return [];
      const keys: string[] = [];
      for await (const item of client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) {
        if (item.name) keys.push(item.name);
      }
      return keys.sort();
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export async function readObject(client: Client, key: string, bucket = BUCKET): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await client.getObject(bucket, key)) as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

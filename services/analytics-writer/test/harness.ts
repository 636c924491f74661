import { createClickHouseClient, type ClickHouseClient } from '@sophon/clickhouse';
import { createHistoryEventAdapter, DEFAULT_TOPICS, type OutboundMessage } from '@sophon/event-contract';
import { sampleHistoryEvent } from '@sophon/event-contract/testing';
import { createDurableProducer, createKafkaClient, type DurableProducer } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { MOCK_KAFKA_CONSUMER_ENV, pipelineTopicPartitions, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { waitFor as until } from '@sophon/test-kit';
import { loadAnalyticsWriterConfig } from '../src/config.js';

export const logger = createLogger({ service: 'analytics-writer-test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
/** The topics of deploy/kafka/topics.json, as the test broker creates them. */
export const TOPICS = pipelineTopicPartitions();

export function writerEnv(kafka: KafkaServer, clickhouse: ClickHouseServer, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    CLICKHOUSE_URL: clickhouse.url,
    OPS_HOST: '127.0.0.1',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...MOCK_KAFKA_CONSUMER_ENV,
    ANALYTICS_FLUSH_INTERVAL_MS: '200',
    // These tests start the writer on an empty server: it applies the schema itself.
    ANALYTICS_MIGRATE_ON_START: 'true',
    ...overrides,
  };
}

export const writerConfig = (...args: Parameters<typeof writerEnv>) => loadAnalyticsWriterConfig(writerEnv(...args));

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });

/** The Kafka messages the gateway would publish for this raw event (history-events only). */
export function historyMessages(raw: unknown): OutboundMessage[] {
  const result = adapter.parse(raw, { receivedAt: Date.now() });
  if (!result.ok) throw new Error(`test event is invalid: ${JSON.stringify(result.errors)}`);
  return result.messages.filter((m) => m.topic === DEFAULT_TOPICS.historyEvents);
}

/** A small valid event of a device; `n` makes it distinct. */
export function event(devSno: string, n: number, change: (e: any) => void = () => {}) {
  const e = structuredClone(sampleHistoryEvent()) as any;
  delete e.ext_data.spot_pic;
  delete e.ext_data.ir_pic;
  delete e.reg_pic;
  e.identity_id = `person-${n}`;
  e.identity_name = `Person ${n}`;
  e.timestamp = 1_764_000_000_000 + n * 1000;
  e.ext_data.dev_sno = devSno;
  e.ext_data.ep_id = `${devSno}__10.0.0.${n % 250}`;
  change(e);
  return e;
}

export async function producerFor(kafka: KafkaServer): Promise<DurableProducer> {
  const producer = createDurableProducer(createKafkaClient({ brokers: kafka.brokers, clientId: 'writer-test' }, logger), logger);
  await producer.connect();
  return producer;
}

export function query(clickhouse: ClickHouseServer): ClickHouseClient {
  return createClickHouseClient({ url: clickhouse.url, username: 'default', password: '', database: 'sophon' }, logger);
}

export async function rows<T>(client: ClickHouseClient, sql: string): Promise<T[]> {
  return (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

export { until };

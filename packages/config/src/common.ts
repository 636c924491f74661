import { env } from './env-types.js';

/** Variables every service reads the same way (one name for one thing across the stack). */
export const loggingEnv = {
  LOG_LEVEL: env.logLevel(),
};

export const kafkaEnv = {
  KAFKA_BROKERS: env.list(['localhost:9092']),
  KAFKA_CLIENT_ID: env.string('sophon-pipeline'),
  /** How long a client waits for a broker's answer; producers ask the broker to answer within half of it. */
  KAFKA_REQUEST_TIMEOUT_MS: env.integer(10_000, { min: 1000 }),
  /** Largest message the producer will send and the consumers will fetch (broker and topics must allow it too). */
  KAFKA_MAX_MESSAGE_BYTES: env.integer(16 * 1024 * 1024, { min: 1024 * 1024 }),
  KAFKA_TOPIC_HISTORY_EVENTS: env.string('history-events'),
  KAFKA_TOPIC_EVENT_IMAGES: env.string('event-images'),
  KAFKA_TOPIC_QUARANTINE: env.string('history-events-quarantine'),
  /** The boxes' status reports (/DeviceStatus): published by the gateway, read by the analytics writer. */
  KAFKA_TOPIC_DEVICE_STATUS: env.string('device-status'),
};

export const opsEnv = {
  /** Where /healthz, /readyz and /metrics are served. */
  OPS_HOST: env.string('0.0.0.0'),
};

/** How every consumer service reads Kafka; group ids default per service. */
export const consumerEnv = {
  KAFKA_TOPIC_DEAD_LETTER: env.string('pipeline-dead-letter'),
  CONSUMER_SESSION_TIMEOUT_MS: env.integer(30_000, { min: 1000 }),
  CONSUMER_HEARTBEAT_INTERVAL_MS: env.integer(3_000, { min: 100 }),
  CONSUMER_MAX_WAIT_MS: env.integer(500, { min: 10 }),
  /** Batches (partitions) handled at once; sinks that batch across partitions benefit from more. */
  CONSUMER_PARTITIONS_CONCURRENTLY: env.integer(4, { min: 1, max: 256 }),
  CONSUMER_RETRY_INITIAL_MS: env.integer(500, { min: 10 }),
  CONSUMER_RETRY_MAX_MS: env.integer(30_000, { min: 100 }),
  /** A new consumer group starts at the oldest retained message, so nothing published before it is skipped. */
  CONSUMER_FROM_BEGINNING: env.boolean(true),
};

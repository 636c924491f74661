import { env } from './env-types.js';

/** Variables every service reads the same way (one name for one thing across the stack). */
export const loggingEnv = {
  LOG_LEVEL: env.logLevel(),
};

export const kafkaEnv = {
  KAFKA_BROKERS: env.list(['localhost:9092']),
  KAFKA_CLIENT_ID: env.string('sophon-pipeline'),
  /** Largest message the producer will send and the consumers will fetch (broker and topics must allow it too). */
  KAFKA_MAX_MESSAGE_BYTES: env.integer(16 * 1024 * 1024, { min: 1024 * 1024 }),
  KAFKA_TOPIC_HISTORY_EVENTS: env.string('history-events'),
  KAFKA_TOPIC_EVENT_IMAGES: env.string('event-images'),
  KAFKA_TOPIC_QUARANTINE: env.string('history-events-quarantine'),
};

export const opsEnv = {
  /** Where /healthz, /readyz and /metrics are served. */
  OPS_HOST: env.string('0.0.0.0'),
};

/**
 * One-shot job (compose's `kafka-init`): creates the topics of deploy/kafka/topics.json, with
 * their partitions and configs, before any service starts. Topics that exist are left as they
 * are. The same file feeds the local stack and the tests, so the topic list has one source.
 *
 *   sophon-ensure-topics        (KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_TOPICS_FILE, KAFKA_INIT_TIMEOUT_MS, LOG_LEVEL)
 */
import { env, kafkaEnv, loadConfig, loggingEnv } from '@sophon/config';
import { retry } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { createKafkaClient } from './client.js';
import { DEFAULT_TOPICS_FILE, ensureTopics, readTopicDefinitions } from './topics.js';

export { DEFAULT_TOPICS_FILE };

export const ensureTopicsEnv = {
  ...loggingEnv,
  KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS,
  KAFKA_CLIENT_ID: kafkaEnv.KAFKA_CLIENT_ID,
  KAFKA_TOPICS_FILE: env.string(DEFAULT_TOPICS_FILE),
  /** A broker that is up but not yet serving (a controller still electing) is retried until then. */
  KAFKA_INIT_TIMEOUT_MS: env.integer(120_000, { min: 1_000 }),
};

export type EnsureTopicsConfig = ReturnType<typeof loadEnsureTopicsConfig>;

export function loadEnsureTopicsConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(ensureTopicsEnv, source);
}

/** Exit code 0 once every topic exists (or the broker auto-creates them), 1 when time ran out. */
export async function runEnsureTopics(config: EnsureTopicsConfig, logger: Logger): Promise<number> {
  // Read before connecting: a broken file is a build mistake, not something to retry.
  const topics = readTopicDefinitions(config.KAFKA_TOPICS_FILE);
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-ensure-topics` }, logger);
  try {
    const outcome = await retry(() => ensureTopics(kafka, topics, logger), {
      initialMs: 500,
      maxMs: 10_000,
      timeoutMs: config.KAFKA_INIT_TIMEOUT_MS,
      onRetry: (error, _attempt, delay) => logger.warn({ err: error, retryInMs: delay }, 'Kafka not ready for topic creation; retrying'),
    });
    logger.info({ file: config.KAFKA_TOPICS_FILE, topics: topics.map((t) => `${t.name}:${t.partitions}`), outcome }, 'topics ready');
    return 0;
  } catch (error) {
    logger.fatal({ err: error, timeoutMs: config.KAFKA_INIT_TIMEOUT_MS }, 'could not create the topics');
    return 1;
  }
}

import { consumerEnv, env, kafkaEnv, loggingEnv, opsEnv, z } from '@sophon/config';
import type { ConsumerSettings, KafkaSettings } from '@sophon/kafka';

/** The environment every consumer service reads; services spread it into their own schema. */
export const consumerServiceEnv = (defaults: { opsPort: number }) => ({
  ...loggingEnv,
  ...kafkaEnv,
  ...consumerEnv,
  ...opsEnv,
  OPS_PORT: env.port(defaults.opsPort),
  SHUTDOWN_TIMEOUT_MS: env.integer(30_000, { min: 1000 }),
});

export type ConsumerServiceConfig = z.infer<z.ZodObject<ReturnType<typeof consumerServiceEnv>>>;

/** The consumer runner's settings from that environment (a service's second runner reads them the same way). */
export function consumerSettings(config: ConsumerServiceConfig): ConsumerSettings {
  return {
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
    maxWaitTimeMs: config.CONSUMER_MAX_WAIT_MS,
    maxBytesPerPartition: config.KAFKA_MAX_MESSAGE_BYTES,
    partitionsConsumedConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
    retry: { initialMs: config.CONSUMER_RETRY_INITIAL_MS, maxMs: config.CONSUMER_RETRY_MAX_MS },
    fromBeginning: config.CONSUMER_FROM_BEGINNING,
  };
}

/**
 * The kafkajs client of a consumer service (a second runner makes its own the same way). Group
 * requests that a broker may hold up to the session timeout wait that long plus 5 s whatever
 * KAFKA_REQUEST_TIMEOUT_MS says: kafkajs does so for JoinGroup, and patches/kafkajs@2.2.4.patch
 * for SyncGroup. With the 10 s request timeout, a follower gave up on its SyncGroup and rejoined as
 * a new member without leaving, a new straggler at every turn: a consumer killed, restarted, killed
 * again while rejoining and restarted stayed out of its group for good (reproduced on the mock broker).
 */
export function consumerKafkaSettings(config: ConsumerServiceConfig, clientId: string): KafkaSettings {
  return { brokers: config.KAFKA_BROKERS, clientId, requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS };
}

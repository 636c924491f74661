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

/** What a group request may take beyond the session timeout: the broker's own answer, then the way back. */
const GROUP_REQUEST_MARGIN_MS = 10_000;

/**
 * The kafkajs client of a consumer service (a second runner makes its own the same way). Its
 * requests outlast the session timeout: a broker may hold a member's JoinGroup or SyncGroup until
 * every member has rejoined or timed out, up to the session timeout. With kafkajs' 10 s a member
 * gave up first and restarted as a new member without leaving, a new straggler at every turn: a
 * consumer killed, restarted, killed again while rejoining and restarted stayed out of its group
 * for good (reproduced on the mock broker).
 */
export function consumerKafkaSettings(config: ConsumerServiceConfig, clientId: string): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS,
    clientId,
    requestTimeoutMs: Math.max(config.KAFKA_REQUEST_TIMEOUT_MS, config.CONSUMER_SESSION_TIMEOUT_MS + GROUP_REQUEST_MARGIN_MS),
  };
}

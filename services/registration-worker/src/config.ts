import { clickhouseEnv } from '@sophon/clickhouse';
import { env, loadConfig, z } from '@sophon/config';
import { consumerServiceEnv } from '@sophon/consumer-service';
import { DEFAULT_TOPICS } from '@sophon/event-contract';

/** Every registration-worker setting, from the environment, validated at start-up. */
export const registrationWorkerEnv = {
  ...consumerServiceEnv({ opsPort: 9603 }),
  ...clickhouseEnv,
  /** Its own group: it reads history-events alongside the other consumers, at its own pace. */
  CONSUMER_GROUP_ID: env.string('registration-worker'),
  KAFKA_TOPIC_FACE_REGISTRATIONS: env.string(DEFAULT_TOPICS.faceRegistrations),
  /**
   * The one group every registered stranger joins (want_action 1001), whatever the event says:
   * it must exist on the boxes and should open no door. One name, as the box's create-person
   * API reads a comma as a second group.
   */
  REGISTRATION_STRANGER_GROUP: z
    .string()
    .regex(/^[^\s,\p{Cc}](?:[^,\p{Cc}]{0,62}[^\s,\p{Cc}])?$/u, 'must be one group name: 1 to 64 characters, no comma, no control characters, no leading or trailing blank')
    .default('strangers'),
  /** A publish of commands not acknowledged by then fails, and the batch is retried. */
  REGISTRATION_PUBLISH_TIMEOUT_MS: env.integer(10_000, { min: 100 }),
};

export type RegistrationWorkerConfig = ReturnType<typeof loadRegistrationWorkerConfig>;

export function loadRegistrationWorkerConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(registrationWorkerEnv, source);
}

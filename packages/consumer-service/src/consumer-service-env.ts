import { consumerEnv, env, kafkaEnv, loggingEnv, opsEnv, z } from '@sophon/config';

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

import { loadConfig, loggingEnv, z } from '@sophon/config';
import { clickhouseEnv } from './client.js';

/** What the migrate job reads; its own module so the compose test can load it without running the job. */
export const migrateEnv = {
  ...loggingEnv,
  ...clickhouseEnv,
  CLICKHOUSE_MIGRATIONS_DIR: z.string().optional(),
  CLICKHOUSE_GRANTS_FILE: z.string().optional(),
  CLICKHOUSE_ANALYST_PASSWORD: z.string().optional(),
  /** The writers' password: required with CLICKHOUSE_ANALYST_PASSWORD, as grants.sql creates both accounts. */
  CLICKHOUSE_WRITER_PASSWORD: z.string().optional(),
};

export function loadMigrateConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(migrateEnv, source);
}

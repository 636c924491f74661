/**
 * One-shot job (a daily cron): drops monthly partitions older than RETENTION_MONTHS.
 *
 *   RETENTION_MONTHS=13 node --conditions=development --import tsx packages/clickhouse/src/retention-cli.ts
 */
import { env, loadConfig, loggingEnv } from '@sophon/config';
import { createLogger } from '@sophon/logger';
import { clickhouseEnv, createClickHouseClient } from './client.js';
import { dropExpiredPartitions } from './retention.js';

const SERVICE = 'clickhouse-retention';

async function main(): Promise<void> {
  const config = loadConfig({
    ...loggingEnv,
    ...clickhouseEnv,
    RETENTION_MONTHS: env.integer(13, { min: 1, max: 1200 }),
    RETENTION_DRY_RUN: env.boolean(false),
  });
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const client = createClickHouseClient(
    { url: config.CLICKHOUSE_URL, username: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD, requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS, application: SERVICE },
    logger,
  );
  try {
    const dropped = await dropExpiredPartitions({
      client,
      database: config.CLICKHOUSE_DATABASE,
      keepMonths: config.RETENTION_MONTHS,
      dryRun: config.RETENTION_DRY_RUN,
      logger,
    });
    logger.info({ partitions: dropped.length, keepMonths: config.RETENTION_MONTHS, dryRun: config.RETENTION_DRY_RUN }, 'retention done');
  } catch (error) {
    logger.fatal({ err: error }, 'retention failed');
    process.exitCode = 1;
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  // Only reached before the logger exists (invalid configuration).
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

/**
 * One-shot job (a daily cron): drops monthly partitions older than RETENTION_MONTHS.
 *
 *   RETENTION_MONTHS=13 node --conditions=development --import tsx packages/clickhouse/src/retention-cli.ts
 */
import { env, loadConfig, loggingEnv } from '@sophon/config';
import { runJob } from '@sophon/lifecycle';
import { clickhouseEnv, createClickHouseClient } from './client.js';
import { dropExpiredPartitions } from './retention.js';

const SERVICE = 'clickhouse-retention';

const retentionEnv = {
  ...loggingEnv,
  ...clickhouseEnv,
  RETENTION_MONTHS: env.integer(13, { min: 1, max: 1200 }),
  RETENTION_DRY_RUN: env.boolean(false),
};

await runJob(SERVICE, () => loadConfig(retentionEnv), async (config, logger) => {
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
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, 'retention failed');
    return 1;
  } finally {
    await client.close();
  }
});

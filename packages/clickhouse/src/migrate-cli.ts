/**
 * One-shot job: brings the ClickHouse schema up to date, then (modern servers only, when
 * CLICKHOUSE_ANALYST_PASSWORD is set, with CLICKHOUSE_WRITER_PASSWORD) creates or updates the
 * analyst and writer accounts (deploy/clickhouse/grants.sql). Exit code 0 when
 * the schema is current, 1 otherwise.
 *
 *   node --conditions=development --import tsx packages/clickhouse/src/migrate-cli.ts
 */
import { runJob } from '@sophon/lifecycle';
import { applyAnalystGrants } from './analyst.js';
import { createClickHouseClient } from './client.js';
import { migrate } from './migrate.js';
import { loadMigrateConfig } from './migrate-env.js';

const SERVICE = 'clickhouse-migrate';

await runJob(SERVICE, loadMigrateConfig, async (config, logger) => {
  if (config.CLICKHOUSE_ANALYST_PASSWORD !== undefined && config.CLICKHOUSE_WRITER_PASSWORD === undefined) {
    throw new Error('CLICKHOUSE_WRITER_PASSWORD: required with CLICKHOUSE_ANALYST_PASSWORD (grants.sql creates the analyst and the writer)');
  }
  // No default database: on a fresh server it does not exist until migrate creates it.
  const client = createClickHouseClient(
    { url: config.CLICKHOUSE_URL, username: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD, requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS, application: SERVICE },
    logger,
  );
  try {
    await migrate({ client, database: config.CLICKHOUSE_DATABASE, migrationsDir: config.CLICKHOUSE_MIGRATIONS_DIR, logger });
    if (config.CLICKHOUSE_ANALYST_PASSWORD !== undefined && config.CLICKHOUSE_WRITER_PASSWORD !== undefined) {
      await applyAnalystGrants({
        client,
        database: config.CLICKHOUSE_DATABASE,
        analystPassword: config.CLICKHOUSE_ANALYST_PASSWORD,
        writerPassword: config.CLICKHOUSE_WRITER_PASSWORD,
        grantsFile: config.CLICKHOUSE_GRANTS_FILE,
        logger,
      });
    }
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, 'migration failed');
    return 1;
  } finally {
    await client.close();
  }
});

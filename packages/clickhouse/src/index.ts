export { checkClickHouseReady, clickhouseConnection, clickhouseEnv, createClickHouseClient, type ClickHouseClient, type ClickHouseConnectionSettings } from './client.js';
export { insertJsonLines, insertRows, type TableRef } from './insert.js';
export { clickhouseErrorCode, describeClickHouseError, isRowDataError } from './errors.js';
export { insertIsolatingRefusedRows, type RefusedRow } from './refused-rows.js';
export {
  migrate,
  MigrationError,
  readMigrations,
  type AppliedMigration,
  type MigrateOptions,
  type MigrateResult,
  type MigrationFile,
} from './migrate.js';
export {
  ANALYST_ROLE,
  ANALYST_USER,
  applyAnalystGrants,
  legacyAnalystUser,
  readAnalystGrants,
  WRITER_ROLE,
  WRITER_USER,
  type AnalystGrantsOptions,
  type LegacyAnalystUser,
} from './analyst.js';
export { dropExpiredPartitions, firstKeptMonth, PARTITIONED_TABLES, type ExpiredPartition, type RetentionOptions } from './retention.js';
export { epochSeconds } from './rows.js';
export { DEFAULT_GRANTS_FILE, DEFAULT_MIGRATIONS_DIR } from './paths.js';
export { renderSqlTemplate, splitSqlStatements, sqlIdentifier, sqlString, sqlTableName } from './sql.js';

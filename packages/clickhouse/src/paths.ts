import { fileURLToPath } from 'node:url';

// Relative to src/ and to dist/ alike: both sit in packages/clickhouse/.
const deployDir = new URL('../../../deploy/clickhouse/', import.meta.url);

/** deploy/clickhouse/migrations in the repository. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('migrations/', deployDir));

/** deploy/clickhouse/grants.sql in the repository. */
export const DEFAULT_GRANTS_FILE = fileURLToPath(new URL('grants.sql', deployDir));

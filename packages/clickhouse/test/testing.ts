/**
 * The fixtures other workspaces' tests share with this package's (deploy/compose's dashboard test
 * runs the analyst queries on them): `@sophon/clickhouse/testing`, under the development
 * condition only, as test code is not built.
 */
export { chdbAsClient, selectRows } from './chdb-client.js';
export { DATABASE, historyEventRows, insertBatches, registrationRows, SERVER_TIMEZONE, UNIQUE_EVENTS } from './fixtures.js';

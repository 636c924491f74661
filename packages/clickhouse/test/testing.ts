/**
 * The fixtures other workspaces' tests share with this package's (deploy/compose's dashboard test
 * runs the analyst queries on them; the services check their row types against the tables):
 * `@sophon/clickhouse/testing`, under the development condition only, as test code is not built.
 */
import { sqlString, type ClickHouseClient } from '../src/index.js';

export { chdbAsClient, selectRows } from './chdb-client.js';
export {
  DATABASE,
  historyEventRows,
  insertBatches,
  registrationRows,
  SERVER_TIMEZONE,
  UNIQUE_EVENTS,
  type HistoryEventsRow,
  type RegistrationsRow,
} from './fixtures.js';

/**
 * The column names of a migrated table, sorted: a row sent as JSONEachRow must carry exactly
 * these (18.16 fills a missing field with the type's zero, and refuses an unknown one).
 */
export async function tableColumns(client: ClickHouseClient, database: string, table: string): Promise<string[]> {
  const result = await client.query({
    query: `SELECT name FROM system.columns WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} ORDER BY name`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string }>()).map((column) => column.name);
}

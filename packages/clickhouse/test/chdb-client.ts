/**
 * chdb (embedded ClickHouse, a current release) behind the three ClickHouseClient methods the
 * package uses (command, query(...).json(), insert), so migrate() and insertRows() run on it
 * unchanged. Test-only: chdb is in-process and has no HTTP interface.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Session } from 'chdb';

export function chdbAsClient(session: Session): ClickHouseClient {
  const fake = {
    async command({ query }: { query: string }) {
      session.query(query);
      return { query_id: '' };
    },
    async query({ query, format = 'JSONEachRow' }: { query: string; format?: string }) {
      if (format !== 'JSONEachRow') throw new Error(`chdbAsClient: only JSONEachRow, not ${format}`);
      const text = session.query(query, 'JSONEachRow');
      return { json: async () => text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as unknown) };
    },
    async insert({ table, values, format }: { table: string; values: readonly unknown[]; format: string }) {
      session.query(`INSERT INTO ${table} FORMAT ${format}\n${values.map((value) => JSON.stringify(value)).join('\n')}`);
      return { executed: true, query_id: '' };
    },
    async close() {},
  };
  // Only the methods above are ever called by the code under test.
  return fake as unknown as ClickHouseClient;
}

/** Rows of a SELECT as objects (64-bit integers come quoted, as over HTTP). */
export function selectRows(session: Session, sql: string): Record<string, unknown>[] {
  return session
    .query(sql, 'JSONEachRow')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

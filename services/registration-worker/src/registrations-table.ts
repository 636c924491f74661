import { insertRows, sqlString, type ClickHouseClient, type RegistrationAction, type RegistrationRow } from '@sophon/clickhouse';
import { registrationId } from './decide.js';

const TABLE = 'registrations';
/** Event ids per lookup: ~35 bytes each, far inside ClickHouse's default 256 KiB max_query_size. */
const LOOKUP_CHUNK = 2_000;

/** The audit table, which is also the worker's memory of what it already decided. */
export interface RegistrationsTable {
  /** The registration ids (`<event_id>:<action>`) already recorded for any of these events. */
  decided(eventIds: readonly string[]): Promise<Set<string>>;
  record(rows: readonly RegistrationRow[]): Promise<void>;
}

/**
 * `registrations` in the client's database. The lookup asks only whether a row exists, so it
 * needs neither FINAL nor argMax: every copy of a decision answers that question the same way,
 * and ORDER BY (event_id, action) makes it an index lookup. One query per batch in practice;
 * more only for batches of over 2,000 registration requests.
 */
export function clickhouseRegistrations(client: ClickHouseClient): RegistrationsTable {
  return {
    async decided(eventIds) {
      const unique = [...new Set(eventIds)];
      const found = new Set<string>();
      for (let start = 0; start < unique.length; start += LOOKUP_CHUNK) {
        const ids = unique.slice(start, start + LOOKUP_CHUNK).map(sqlString).join(', ');
        const result = await client.query({ query: `SELECT DISTINCT event_id, action FROM ${TABLE} WHERE event_id IN (${ids})`, format: 'JSONEachRow' });
        for (const row of await result.json<{ event_id: string; action: RegistrationAction }>()) found.add(registrationId(row.event_id, row.action));
      }
      return found;
    },
    record: (rows) => insertRows(client, TABLE, rows),
  };
}

import { insertRows, sqlString, type ClickHouseClient } from '@sophon/clickhouse';
import { registrationId } from './decide.js';

/** The want_action values the worker acts on, as the registrations table names them. */
export type RegistrationAction = 'new_stranger' | 'face_update';
export type RegistrationOutcome = 'registered' | 'updated' | 'refused';

/**
 * A row of `registrations`, every column (see insertRows); one per (event_id, action). DateTime
 * columns are epoch seconds (see epochSeconds).
 */
export interface RegistrationRow {
  event_id: string;
  action: RegistrationAction;
  identity_id: string;
  outcome: RegistrationOutcome;
  /** Why it was refused (or any note); '' when there is nothing to say. */
  reason: string;
  dev_sno: string;
  group_name: string;
  face_pic_key: string;
  /** The event's time: the partition key, identical on every retry of the decision. */
  event_time: number;
  event_time_ms: number;
  decided_at: number;
  decided_at_ms: number;
}

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

import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier, sqlTableName } from './sql.js';
import { wellFormedJsonLines, wellFormedRow } from './well-formed.js';

export interface TableRef {
  database: string;
  table: string;
}

/**
 * Inserts rows as JSONEachRow. Send every column: 18.16 fills a missing field with the type's
 * zero, not the column's DEFAULT, so an omitted field is silently wrong. The row types of this
 * package list every column; here every row must carry the same fields as the first, none of
 * them undefined, which catches rows built with optional fields left out.
 *
 * `table` is "table" (in the client's database), "db.table", or `{ database, table }` for names
 * that contain dots; every part is backquoted.
 */
export async function insertRows<Row extends object>(
  client: ClickHouseClient,
  table: string | TableRef,
  rows: readonly Row[],
): Promise<void> {
  const [first] = rows;
  if (first === undefined) return;
  const fields = Object.keys(first).sort().join(',');
  rows.forEach((row, index) => {
    if (Object.keys(row).sort().join(',') !== fields) {
      throw new TypeError(`insertRows: row ${index} has fields ${Object.keys(row).sort().join(',')}, the first row has ${fields}`);
    }
    // JSON.stringify drops undefined fields, which would then be zeroes.
    const missing = Object.entries(row).find(([, value]) => value === undefined);
    if (missing) throw new TypeError(`insertRows: row ${index} has ${missing[0]} undefined (use null for a Nullable column)`);
  });
  await client.insert({ table: tableTarget(table), values: rows.map(wellFormedRow), format: 'JSONEachRow' });
}

/**
 * Inserts rows already serialised as JSONEachRow lines (one row each, no newline inside), for a
 * writer that keeps its rows as text: the lines go to the server as they are, parsed only there.
 * The same rule as insertRows holds: every line must carry every column. Both helpers replace lone
 * surrogates, which ClickHouse refuses (see well-formed.ts).
 */
export async function insertJsonLines(client: ClickHouseClient, table: string | TableRef, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const query = `INSERT INTO ${tableTarget(table)} FORMAT JSONEachRow`;
  const text = wellFormedJsonLines(lines);
  const result = await client.exec({ query, values: Readable.from([Buffer.from(text)], { objectMode: false }) });
  result.stream.resume(); // nothing to read; drained so the connection goes back to the pool
}

const tableTarget = (table: string | TableRef): string =>
  typeof table === 'string' ? sqlTableName(table) : `${sqlIdentifier(table.database)}.${sqlIdentifier(table.table)}`;

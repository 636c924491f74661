import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@sophon/logger';
import { sqlIdentifier, sqlString } from './sql.js';

/** Tables partitioned by toYYYYMM(event_time, 'UTC'). */
export const PARTITIONED_TABLES = ['history_events', 'registrations', 'device_deliveries', 'device_status', 'device_cameras'] as const;

export interface RetentionOptions {
  client: ClickHouseClient;
  database: string;
  /** Calendar months kept, the current (UTC) one included: 13 keeps this month and the 12 before. */
  keepMonths: number;
  tables?: readonly string[];
  /** Default now; tests pin it. */
  now?: Date;
  /** List what would be dropped without dropping it. */
  dryRun?: boolean;
  logger: Logger;
}

export interface ExpiredPartition {
  table: string;
  /** YYYYMM. */
  partition: string;
}

/**
 * Retention without TTL (18.16 has none): drops whole monthly partitions older than the
 * window. Dropping a partition is instant and frees the disk at once, unlike ALTER DELETE.
 * ClickHouse refuses to drop a partition over max_partition_size_to_drop (50 GB by default).
 */
export async function dropExpiredPartitions(options: RetentionOptions): Promise<ExpiredPartition[]> {
  const { client, database, keepMonths, logger } = options;
  if (!Number.isInteger(keepMonths) || keepMonths < 1) throw new RangeError(`keepMonths must be a whole number of months >= 1, got ${keepMonths}`);
  const tables = options.tables ?? PARTITIONED_TABLES;
  const cutoff = firstKeptMonth(options.now ?? new Date(), keepMonths);
  const result = await client.query({
    query: `SELECT DISTINCT table, partition FROM system.parts
      WHERE database = ${sqlString(database)} AND table IN (${tables.map(sqlString).join(', ')}) AND active
      ORDER BY table, partition`,
    format: 'JSONEachRow',
  });
  const expired = (await result.json<ExpiredPartition>()).filter(
    // Only YYYYMM partitions are ours to judge; anything else is left alone.
    ({ partition }) => /^\d{6}$/.test(partition) && Number(partition) < cutoff,
  );
  for (const { table, partition } of expired) {
    if (!options.dryRun) {
      await client.command({ query: `ALTER TABLE ${sqlIdentifier(database)}.${sqlIdentifier(table)} DROP PARTITION ${partition}` });
    }
    logger.info({ database, table, partition, dryRun: options.dryRun ?? false }, options.dryRun ? 'partition would be dropped' : 'partition dropped');
  }
  return expired;
}

/** YYYYMM of the oldest month kept. */
export function firstKeptMonth(now: Date, keepMonths: number): number {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (keepMonths - 1), 1));
  return first.getUTCFullYear() * 100 + first.getUTCMonth() + 1;
}

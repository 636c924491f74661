import { clickhouseEnv } from '@sophon/clickhouse';
import { env, loadConfig } from '@sophon/config';
import { consumerServiceEnv } from '@sophon/consumer-service';

export const analyticsWriterEnv = {
  ...consumerServiceEnv({ opsPort: 9602 }),
  ...clickhouseEnv,
  CONSUMER_GROUP_ID: env.string('analytics-writer'),
  /**
   * More partition batches at once than the other consumers (4): rows of many partitions make
   * one large insert, and half of them are decoded while the other half is being inserted.
   */
  CONSUMER_PARTITIONS_CONCURRENTLY: env.integer(16, { min: 1, max: 256 }),
  /** An insert is sent when this many rows are waiting... */
  ANALYTICS_BATCH_ROWS: env.integer(10_000, { min: 1 }),
  /**
   * ...or, at a site's few events a second, once every batch the consumer holds is waiting and the
   * last insert is this old (kafkajs fetches nothing new until they are stored: waiting longer
   * only idles it); otherwise when the oldest waiting row has waited this long. So at most ~5
   * inserts a second, and no row waits longer than this for company.
   */
  ANALYTICS_FLUSH_INTERVAL_MS: env.integer(200, { min: 10 }),
  /**
   * history_events inserts under way at once. Two: ClickHouse reads one insert on one thread, so
   * while it does, the next can be read on another core instead of waiting its turn (a backlog
   * drained 15-20 % faster in `pnpm bench --only writer`, above one-at-a-time's direct insert).
   */
  ANALYTICS_INSERTS_IN_FLIGHT: env.integer(2, { min: 1, max: 8 }),
  /**
   * Apply pending migrations before consuming. Off by default: the migrate job does it once
   * (migrations take no lock, so replicas must not race each other at start-up).
   */
  ANALYTICS_MIGRATE_ON_START: env.boolean(false),
};

export type AnalyticsWriterConfig = ReturnType<typeof loadAnalyticsWriterConfig>;

export function loadAnalyticsWriterConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(analyticsWriterEnv, source);
}

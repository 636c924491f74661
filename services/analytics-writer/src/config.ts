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
   * ...or when the oldest waiting row has waited this long. At a site's few events a second a
   * fetch brings fewer batches than the writer waits for, so each insert waits for this timer and
   * the consumer fetches nothing new meanwhile: an event can wait out the cycle under way, then
   * one of its own. 200 ms keeps event → queryable near half a second (1000 put it near two),
   * with at most ~5 inserts a second.
   */
  ANALYTICS_FLUSH_INTERVAL_MS: env.integer(200, { min: 10 }),
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

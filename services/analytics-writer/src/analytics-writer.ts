import { checkClickHouseReady, clickhouseConnection, createClickHouseClient, migrate } from '@sophon/clickhouse';
import { retry } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { runConsumerService, type RunningConsumerService } from '@sophon/consumer-service';
import type { AnalyticsWriterConfig } from './config.js';
import { createDeviceStatusSink } from './device-status-sink.js';
import { createHistoryEventSink } from './history-event-sink.js';
import { createTopicDispatchSink } from './topic-dispatch-sink.js';

/** history-events and device-status -> ClickHouse, as a consumer service. */
export function startAnalyticsWriter(config: AnalyticsWriterConfig, logger: Logger): Promise<RunningConsumerService> {
  return runConsumerService('analytics-writer', config, logger, async ({ registry }) => {
    // No default database: with ANALYTICS_MIGRATE_ON_START the migrations create it.
    const client = createClickHouseClient({ ...clickhouseConnection(config, 'analytics-writer'), database: undefined }, logger);
    if (config.ANALYTICS_MIGRATE_ON_START) await migrateWhenReachable(client, config.CLICKHOUSE_DATABASE, logger);
    const historySink = createHistoryEventSink({
      client,
      database: config.CLICKHOUSE_DATABASE,
      maxRows: config.ANALYTICS_BATCH_ROWS,
      maxWaitMs: config.ANALYTICS_FLUSH_INTERVAL_MS,
      concurrentBatches: config.CONSUMER_PARTITIONS_CONCURRENTLY,
      insertsInFlight: config.ANALYTICS_INSERTS_IN_FLIGHT,
      registry,
    });
    return {
      groupId: config.CONSUMER_GROUP_ID,
      topics: [config.KAFKA_TOPIC_HISTORY_EVENTS, config.KAFKA_TOPIC_DEVICE_STATUS],
      // The runner hands over one partition per batch, so each batch goes to its topic's sink.
      sink: createTopicDispatchSink({
        [config.KAFKA_TOPIC_HISTORY_EVENTS]: historySink,
        [config.KAFKA_TOPIC_DEVICE_STATUS]: createDeviceStatusSink({ client, database: config.CLICKHOUSE_DATABASE }),
      }),
      readiness: [{ name: 'clickhouse', check: () => checkClickHouseReady(client) }],
      close: async () => {
        await historySink.flush().catch(() => {});
        await client.close();
      },
    };
  });
}

/** ClickHouse may start after us: wait for it rather than crash-loop; a broken migration is not retried. */
function migrateWhenReachable(client: Parameters<typeof migrate>[0]['client'], database: string, logger: Logger): Promise<unknown> {
  return retry(() => migrate({ client, database, logger }), {
    initialMs: 500,
    maxMs: 10_000,
    isRetriable: (error) => (error as Error).name !== 'MigrationError',
    onRetry: (error, _attempt, delay) => logger.warn({ err: error, retryInMs: delay }, 'ClickHouse not ready for migrations; retrying'),
  });
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** What every consumer service reports, labelled by topic (and partition for lag). */
export function createConsumerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'consumer_messages_consumed_total', help: 'Messages fetched and handed to the sink', labelNames: ['topic'], registers }),
    processed: new Counter({ name: 'consumer_messages_processed_total', help: 'Messages the sink stored (or skipped by filter) and whose offsets were committed', labelNames: ['topic'], registers }),
    skipped: new Counter({ name: 'consumer_messages_skipped_total', help: 'Messages this consumer does not act on (filtered before the sink)', labelNames: ['topic'], registers }),
    retried: new Counter({ name: 'consumer_batch_retries_total', help: 'Batch attempts that failed transiently and were retried', labelNames: ['topic'], registers }),
    abandoned: new Counter({
      name: 'consumer_batches_abandoned_total',
      help: 'Batches given up uncommitted because the group rebalanced while they were being retried',
      labelNames: ['topic'],
      registers,
    }),
    offsetOutOfRange: new Counter({
      name: 'consumer_offset_out_of_range_total',
      help: 'Partitions reset past messages never processed (the broker no longer held the committed offset): data lost, investigate',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    lost: new Counter({ name: 'consumer_messages_lost_total', help: 'Messages skipped by such resets, never processed', labelNames: ['topic'], registers }),
    deadLettered: new Counter({ name: 'consumer_messages_dead_lettered_total', help: 'Messages written to the dead-letter topic', labelNames: ['topic'], registers }),
    batchSeconds: new Histogram({
      name: 'consumer_batch_duration_seconds',
      help: 'Time from receiving a batch to committing it, retries included',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    lag: new Gauge({ name: 'consumer_lag_messages', help: 'High watermark minus the next offset to process, per partition', labelNames: ['topic', 'partition'], registers }),
    restarts: new Counter({
      name: 'consumer_restarts_total',
      help: 'Fresh consumers started after a crash kafkajs does not restart from, or after two session timeouts without joining the group',
      registers,
    }),
    paused: new Gauge({ name: 'consumer_paused_partitions', help: 'Partitions paused while their sink is failing', registers }),
  };
}

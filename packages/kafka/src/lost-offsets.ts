import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@sophon/logger';
import type { ConsumerMetrics } from './consumer-metrics.js';

type Assignment = Record<string, number[]>;

/**
 * Raises the alarm when a partition skips ahead of where the group stood. When the broker no
 * longer holds a committed offset (retention deleted it, or the local mock broker dropped its
 * oldest ~5 MB), kafkajs resets the partition to the earliest (or latest) offset it has, with a
 * log line and no error: the messages in between are never processed. Here every batch's first
 * offset is compared with the next offset the group should read (its committed offset, then each
 * commit of this member); a batch that starts later means the range in between is lost. Offsets
 * of our topics are contiguous (cleanup.policy delete, no transactions), so any gap is a loss.
 *
 * The committed offsets are read at each join while the new assignment is paused, so that
 * kafkajs cannot fetch (and reset) before we know where the group stood.
 */
export function createLostOffsetWatch(options: { kafka: Kafka; consumer: Pick<Consumer, 'pause' | 'resume'>; groupId: string; metrics: ConsumerMetrics; logger: Logger }) {
  const { consumer, groupId, metrics, logger } = options;
  const expected = new Map<string, bigint>();
  const key = (topic: string, partition: number) => `${topic}|${partition}`;
  let admin: Admin | undefined;
  // Joins so far: a read that a newer join overtook (a rejoin, or a fresh consumer) neither
  // records what it read nor resumes partitions that the newer join paused for its own read.
  let joins = 0;

  const readCommitted = async (assignment: Assignment, join: number) => {
    admin ??= options.kafka.admin();
    await admin.connect();
    const topics = Object.keys(assignment);
    const offsets = await admin.fetchOffsets({ groupId, topics });
    if (join !== joins) return;
    for (const { topic, partitions } of offsets) {
      for (const { partition, offset } of partitions) {
        // -1: nothing committed yet, where starting from the earliest or latest is intended.
        if (BigInt(offset) >= 0n) expected.set(key(topic, partition), BigInt(offset));
        else expected.delete(key(topic, partition));
      }
    }
  };

  return {
    /** Call from GROUP_JOIN (emitted before kafkajs fetches anything for the new assignment). */
    joined(assignment: Assignment) {
      const join = ++joins;
      expected.clear();
      const paused = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
      if (paused.length === 0) return;
      consumer.pause(paused);
      void readCommitted(assignment, join)
        .catch((error: unknown) => logger.warn({ err: error }, 'could not read committed offsets; lost ranges go unnoticed until the next commit'))
        .finally(() => {
          if (join !== joins) return;
          try {
            consumer.resume(paused);
          } catch {
            // the consumer stopped meanwhile: nothing left to resume
          }
        });
    },
    /** A batch of the partition is about to be handled; it starts at `firstOffset`. */
    received(topic: string, partition: number, firstOffset: string) {
      const from = expected.get(key(topic, partition));
      const first = BigInt(firstOffset);
      if (from === undefined || first <= from) return;
      const lost = first - from;
      metrics.offsetOutOfRange.inc({ topic, partition: String(partition) });
      metrics.lost.inc({ topic }, Number(lost));
      logger.error(
        { topic, partition, lostFrom: from.toString(), lostTo: (first - 1n).toString(), lostMessages: lost.toString() },
        'offsets lost: the broker no longer held where this group stood (offset out of range), and the partition was reset past them',
      );
    },
    /** The group committed `next` for the partition. */
    committed(topic: string, partition: number, next: string) {
      expected.set(key(topic, partition), BigInt(next));
    },
    async close() {
      await admin?.disconnect();
    },
  };
}

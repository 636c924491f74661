import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '@sophon/logger';
import { backoffDelay, sleep, type BackoffSettings } from './backoff.js';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import { deadLetterRecord } from './dead-letter.js';
import { describeError, isPermanent } from './errors.js';
import type { DurableProducer } from './producer.js';

export interface SinkContext {
  /** Aborted when the consumer stops: abandon the batch (it is not committed and will be redelivered). */
  signal: AbortSignal;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  logger: Logger;
}

export interface SinkResult {
  /** Messages that can never succeed: dead-lettered, then committed past with the rest. */
  rejected?: { message: ConsumedMessage; error: unknown }[];
}

/**
 * Stores a batch of one partition's messages (in offset order). Resolve once they are durably
 * stored; throw to have the whole batch retried (a transient failure: the sink is down, a
 * timeout...). A PermanentError thrown for the batch dead-letters every message of it.
 */
export interface MessageSink {
  handleBatch(messages: ConsumedMessage[], context: SinkContext): Promise<SinkResult | void>;
}

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  sink: MessageSink;
  /** Cheap pre-filter (e.g. on a header): messages it refuses are committed without reaching the sink. */
  accepts?: (message: ConsumedMessage) => boolean;
  deadLetter: { producer: DurableProducer; topic: string };
  metrics: ConsumerMetrics;
  logger: Logger;
  settings: ConsumerSettings;
}

export interface ConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  /** Must exceed the largest message (kafkajs' 1 MB default gets stuck on larger ones). */
  maxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  retry: BackoffSettings;
  fromBeginning: boolean;
}

export interface ConsumerRunner {
  start(): Promise<void>;
  /** Abandons a batch being retried (uncommitted), lets a batch being stored finish, leaves the group. */
  stop(): Promise<void>;
  /** Resolves while the consumer is a running member of its group. */
  checkHealth(): Promise<void>;
}

/**
 * The one Kafka consumer loop of the product. Offsets are committed only after the sink
 * stored the batch (or the failing messages are in the dead-letter topic). A transient
 * failure pauses the partition and retries the same batch with exponential backoff and
 * jitter, for as long as the outage lasts, holding nothing but that batch.
 */
export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const { kafka, groupId, topics, sink, metrics, settings } = options;
  const logger = options.logger.child({ groupId });
  const stopping = new AbortController();
  let crashed: Error | undefined;
  let running = false;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    maxWaitTimeInMs: settings.maxWaitTimeMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    maxBytes: settings.maxBytesPerPartition * Math.max(1, settings.partitionsConsumedConcurrently),
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crashed = payload.error;
    running = false;
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    crashed = undefined;
    running = true;
    logger.info({ assignment: payload.memberAssignment }, 'joined consumer group');
  });

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const started = process.hrtime.bigint();
    const all = batch.messages.map((message) => toConsumedMessage(batch.topic, batch.partition, message));
    const wanted = options.accepts ? all.filter(options.accepts) : all;
    metrics.consumed.inc({ topic: batch.topic }, all.length);
    metrics.skipped.inc({ topic: batch.topic }, all.length - wanted.length);
    const log = logger.child({ topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() });

    if (wanted.length > 0 && !(await storeWithRetries(payload, wanted, log))) return; // stopping: leave it uncommitted

    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    payload.resolveOffset(batch.lastOffset());
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    metrics.processed.inc({ topic: batch.topic }, all.length);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))));
    metrics.batchSeconds.observe({ topic: batch.topic }, Number(process.hrtime.bigint() - started) / 1e9);
    log.debug({ messages: all.length, stored: wanted.length }, 'batch committed');
  };

  /** True once the batch is stored (or dead-lettered); false when the consumer is stopping. */
  const storeWithRetries = async (payload: EachBatchPayload, messages: ConsumedMessage[], log: Logger): Promise<boolean> => {
    let resume: (() => void) | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        if (stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return false;
        try {
          await withHeartbeats(payload, () => storeOnce(messages, log, payload));
          if (attempt > 0) log.info({ attempts: attempt + 1 }, 'sink recovered; batch stored');
          return true;
        } catch (error) {
          if (stopping.signal.aborted) return false;
          const delay = backoffDelay(attempt, settings.retry);
          metrics.retried.inc({ topic: messages[0]!.topic });
          log.warn({ err: error, attempt: attempt + 1, retryInMs: delay }, 'sink failed; retrying the batch');
          if (!resume) {
            resume = payload.pause();
            metrics.paused.inc();
          }
          await sleepWithHeartbeats(payload, delay);
        }
      }
    } finally {
      if (resume) {
        resume();
        metrics.paused.dec();
      }
    }
  };

  const storeOnce = async (messages: ConsumedMessage[], log: Logger, payload: EachBatchPayload) => {
    let rejected: { message: ConsumedMessage; error: unknown }[];
    try {
      rejected = (await sink.handleBatch(messages, { signal: stopping.signal, heartbeat: () => payload.heartbeat(), logger: log }))?.rejected ?? [];
    } catch (error) {
      if (!isPermanent(error)) throw error;
      rejected = messages.map((message) => ({ message, error }));
    }
    if (rejected.length === 0) return;
    // Dead letters are published before the commit; if that fails, the batch is retried.
    await options.deadLetter.producer.publish(rejected.map(({ message, error }) => deadLetterRecord(options.deadLetter.topic, message, error, groupId)));
    metrics.deadLettered.inc({ topic: messages[0]!.topic }, rejected.length);
    for (const { message, error } of rejected) {
      log.warn({ offset: message.offset, eventId: message.headers['event-id'], error: describeError(error) }, 'message dead-lettered');
    }
  };

  const withHeartbeats = async <T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> => {
    const timer = setInterval(() => void payload.heartbeat().catch(() => {}), settings.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const sleepWithHeartbeats = (payload: EachBatchPayload, ms: number) => withHeartbeats(payload, () => sleep(ms, stopping.signal));

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: settings.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        eachBatch,
      });
    },
    async stop() {
      stopping.abort();
      await consumer.disconnect();
      running = false;
    },
    async checkHealth() {
      if (crashed) throw new Error(`consumer crashed: ${crashed.message}`);
      if (!running) throw new Error('consumer has not joined its group yet');
    },
  };
}

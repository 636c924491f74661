import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffDelay, retry, sleep, type BackoffSettings } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import { deadLetterRecord } from './dead-letter.js';
import { describeError, isPermanent } from './errors.js';
import { createLostOffsetWatch } from './lost-offsets.js';
import type { DurableProducer } from './producer.js';

export interface SinkContext {
  /**
   * Aborted when the consumer stops or the group rebalances (the partition may go to another
   * member): abandon the batch, it is not committed and will be redelivered.
   */
  signal: AbortSignal;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /**
   * How many batches of this topic the sink is handling right now, this one included. kafkajs
   * fetches again only once every batch of the last fetch is committed: a sink that gathers rows
   * across batches need not wait for more once this many are waiting.
   */
  batchesInSink(): number;
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
 * jitter, for as long as the outage lasts, holding nothing but that batch, and heartbeating
 * meanwhile: when the group rebalances, the retry is abandoned (uncommitted) so that the member
 * rejoins at once and the partition goes on with whoever owns it next.
 */
export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const { kafka, groupId, topics, sink, metrics, settings } = options;
  const logger = options.logger.child({ groupId });
  const stopping = new AbortController();
  let crashed: Error | undefined;
  let running = false;
  // Crashes kafkajs restarts from itself are left to it, unless the consumer has not joined its
  // group for STALLED_JOIN_SESSIONS session timeouts: then kafkajs is told not to, and the runner
  // replaces the consumer with a fresh one (see restartAfterCrash).
  let notJoinedSince: number | undefined;
  let stalled = false;
  const createConsumer = (): Consumer => {
    const created = kafka.consumer({
      groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxWaitTimeInMs: settings.maxWaitTimeMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxBytes: settings.maxBytesPerPartition * Math.max(1, settings.partitionsConsumedConcurrently),
      allowAutoTopicCreation: false,
      retry: {
        retries: KAFKAJS_CONSUMER_RETRIES,
        restartOnFailure: async () => {
          // Once stopping, or replaced, kafkajs must not bring this consumer back.
          if (stopping.signal.aborted || created !== consumer) return false;
          notJoinedSince ??= Date.now();
          stalled = Date.now() - notJoinedSince >= STALLED_JOIN_SESSIONS * settings.sessionTimeoutMs;
          return !stalled;
        },
      },
    });
    created.on(created.events.CRASH, ({ payload }) => {
      if (created !== consumer) return; // a replaced consumer's last words
      crashed = payload.error;
      running = false;
      logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && !stopping.signal.aborted) {
        if (stalled) logger.warn({ notJoinedForMs: Date.now() - (notJoinedSince ?? Date.now()) }, 'consumer has not joined its group for too long: replacing it');
        stalled = false;
        const delayMs = backoffDelay(crashesSinceJoin++, CRASH_RESTART_BACKOFF);
        restarting = restarting.then(() => restartAfterCrash(delayMs));
      }
    });
    created.on(created.events.GROUP_JOIN, ({ payload }) => {
      if (created !== consumer || stopping.signal.aborted) {
        void created.disconnect().catch(() => {}); // joined too late: it must not consume
        return;
      }
      crashed = undefined;
      crashesSinceJoin = 0;
      notJoinedSince = undefined;
      running = true;
      membership = membershipOf(stopping.signal);
      lostOffsets.joined(payload.memberAssignment);
      logger.info({ assignment: payload.memberAssignment }, 'joined consumer group');
    });
    return created;
  };
  // Replaced by a fresh one (a new member, on connections of its own) at every restart of ours.
  let consumer: Consumer = createConsumer();
  const lostOffsets = createLostOffsetWatch({
    kafka,
    consumer: { pause: (partitions) => consumer.pause(partitions), resume: (partitions) => consumer.resume(partitions) },
    groupId,
    metrics,
    logger,
  });
  // A new one at every join: losing it (a rebalance seen by a heartbeat) ends the retries under way.
  let membership = membershipOf(stopping.signal);
  const inSink = new Map<string, number>();
  // Restarts after crashes kafkajs gives up on (or is told to), one at a time; counted since the last join.
  let restarting: Promise<void> = Promise.resolve();
  let crashesSinceJoin = 0;

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const started = process.hrtime.bigint();
    const all = batch.messages.map((message) => toConsumedMessage(batch.topic, batch.partition, message));
    const wanted = options.accepts ? all.filter(options.accepts) : all;
    metrics.consumed.inc({ topic: batch.topic }, all.length);
    metrics.skipped.inc({ topic: batch.topic }, all.length - wanted.length);
    const log = logger.child({ topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() });
    const firstOffset = batch.firstOffset();
    if (firstOffset !== null) lostOffsets.received(batch.topic, batch.partition, firstOffset);

    if (wanted.length > 0 && !(await storeWithRetries(payload, wanted, log))) return; // stopping: leave it uncommitted

    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    payload.resolveOffset(batch.lastOffset());
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    lostOffsets.committed(batch.topic, batch.partition, next);
    metrics.processed.inc({ topic: batch.topic }, all.length);
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))));
    metrics.batchSeconds.observe({ topic: batch.topic }, Number(process.hrtime.bigint() - started) / 1e9);
    log.debug({ messages: all.length, stored: wanted.length }, 'batch committed');
  };

  /**
   * True once the batch is stored (or dead-lettered); false when the consumer is stopping. Throws
   * kafkajs' own rebalance error once the group rebalances: the partition may be another
   * member's by now, and kafkajs rejoins at once on that error (returning would not rejoin until
   * every other batch under way returns too).
   */
  const storeWithRetries = async (payload: EachBatchPayload, messages: ConsumedMessage[], log: Logger): Promise<boolean> => {
    const member = membership;
    let attempts = 0;
    let resume: (() => void) | undefined;
    const attempt = async (): Promise<boolean> => {
      // A beat per attempt: kafkajs sends at most one beat per interval, so with attempts and
      // backoffs shorter than the interval the timer would never fire and a rebalance go unseen.
      if (attempts > 0) await heartbeat(payload, member).catch(() => {});
      if (stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return false;
      if (member.lost) throw member.lost;
      attempts++;
      await storeOnce(messages, log, payload, member);
      if (attempts > 1) log.info({ attempts }, 'sink recovered; batch stored');
      return true;
    };
    try {
      // The member's signal ends the retry (and its backoff) when the consumer stops or the group rebalances.
      return await withHeartbeats(payload, member, () =>
        retry(attempt, {
          ...settings.retry,
          signal: member.signal,
          onRetry: (error, _attempt, delay) => {
            metrics.retried.inc({ topic: messages[0]!.topic });
            log.warn({ err: error, attempt: attempts, retryInMs: delay }, 'sink failed; retrying the batch');
            if (!resume) {
              resume = payload.pause();
              metrics.paused.inc();
            }
          },
        }),
      );
    } catch (error) {
      if (stopping.signal.aborted) return false;
      if (member.lost) throw abandoned(member.lost, messages, log, attempts);
      throw error;
    } finally {
      if (resume) {
        resume();
        metrics.paused.dec();
      }
    }
  };

  const abandoned = (lost: Error, messages: ConsumedMessage[], log: Logger, attempts: number) => {
    metrics.abandoned.inc({ topic: messages[0]!.topic });
    log.warn({ attempts, reason: describeError(lost) }, 'group rebalancing: batch left uncommitted for whoever owns the partition next');
    return lost;
  };

  const storeOnce = async (messages: ConsumedMessage[], log: Logger, payload: EachBatchPayload, member: Membership) => {
    let rejected: { message: ConsumedMessage; error: unknown }[];
    const { topic } = payload.batch;
    inSink.set(topic, (inSink.get(topic) ?? 0) + 1);
    try {
      const context: SinkContext = { signal: member.signal, heartbeat: () => heartbeat(payload, member), batchesInSink: () => inSink.get(topic) ?? 0, logger: log };
      rejected = (await sink.handleBatch(messages, context))?.rejected ?? [];
    } catch (error) {
      if (!isPermanent(error)) throw error;
      rejected = messages.map((message) => ({ message, error }));
    } finally {
      inSink.set(topic, inSink.get(topic)! - 1);
    }
    if (rejected.length === 0) return;
    // Dead letters are published before the commit; if that fails, the batch is retried.
    await options.deadLetter.producer.publish(rejected.map(({ message, error }) => deadLetterRecord(options.deadLetter.topic, message, error, groupId)));
    metrics.deadLettered.inc({ topic: messages[0]!.topic }, rejected.length);
    for (const { message, error } of rejected) {
      log.warn({ offset: message.offset, eventId: message.headers['event-id'], error: describeError(error) }, 'message dead-lettered');
    }
  };

  /**
   * A heartbeat is how a member learns of a rebalance (or that it was evicted): that answer
   * marks the membership lost, which ends every retry under way, instead of being swallowed.
   * Other failures (the coordinator unreachable) leave the member as it is; the next beat retries.
   */
  const heartbeat = async (payload: EachBatchPayload, member: Membership) => {
    try {
      await payload.heartbeat();
    } catch (error) {
      if (isMembershipError(error)) member.lose(error as Error);
      else logger.warn({ err: error }, 'heartbeat failed');
      throw error;
    }
  };

  const withHeartbeats = async <T>(payload: EachBatchPayload, member: Membership, work: () => Promise<T>): Promise<T> => {
    const timer = setInterval(() => void heartbeat(payload, member).catch(() => {}), settings.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const runOptions = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch,
  };

  /**
   * kafkajs restarts a crashed consumer only after errors it deems retriable; any other (a broker
   * answering a group request with INVALID_REQUEST during a rebalance, say) leaves the member
   * stopped for good while the process lives on, unready and consuming nothing. And its own
   * restarts reuse the crashed consumer's connections and may keep failing to join (a late close
   * of an old socket broke the next join on the test broker), so after too long without a join it
   * is told not to restart. Either way we start a fresh consumer, backing off while the crashes
   * repeat, until the service stops.
   */
  const restartAfterCrash = async (delayMs: number) => {
    await sleep(delayMs, stopping.signal);
    await retry(
      async () => {
        if (stopping.signal.aborted) return;
        metrics.restarts.inc();
        logger.warn({ afterMs: delayMs }, 'restarting the consumer after a crash');
        const previous = consumer;
        const fresh = (consumer = createConsumer());
        notJoinedSince = Date.now();
        await previous.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'could not disconnect the crashed consumer'));
        // stop() may have disconnected it meanwhile: a connect under way would still complete.
        const stoppedMeanwhile = async () => {
          if (!stopping.signal.aborted) return false;
          await fresh.disconnect().catch(() => {});
          return true;
        };
        await fresh.connect();
        if (await stoppedMeanwhile()) return;
        await fresh.subscribe({ topics, fromBeginning: settings.fromBeginning });
        if (await stoppedMeanwhile()) return;
        await fresh.run(runOptions);
      },
      { ...CRASH_RESTART_BACKOFF, signal: stopping.signal, onRetry: (error, _attempt, delay) => logger.error({ err: error, retryInMs: delay }, 'could not restart the consumer') },
    ).catch(() => {}); // rejects only once stopping: nothing left to restart
  };

  return {
    async start() {
      notJoinedSince = Date.now();
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: settings.fromBeginning });
      await consumer.run(runOptions);
    },
    async stop() {
      stopping.abort();
      // A restart under way may be joining its group for up to a minute: stop what runs now, give
      // the restart a moment to end, then stop whatever it started.
      await consumer.disconnect();
      const waited = new AbortController();
      await Promise.race([restarting, sleep(RESTART_END_WAIT_MS, waited.signal)]);
      waited.abort(); // clears the timer: it must not hold the process up
      await consumer.disconnect();
      await lostOffsets.close();
      running = false;
    },
    async checkHealth() {
      if (crashed) throw new Error(`consumer crashed: ${crashed.message}`);
      if (!running) throw new Error('consumer has not joined its group yet');
    },
  };
}

/** Between restarts after crashes kafkajs does not restart from: soon at first, at most every 30 s. */
const CRASH_RESTART_BACKOFF: BackoffSettings = { initialMs: 1000, maxMs: 30_000 };
/** Session timeouts without a join, kafkajs restarting meanwhile, after which the runner replaces the consumer. */
const STALLED_JOIN_SESSIONS = 2;
/** kafkajs' default for a consumer's own retries, kept when its retry options are given. */
const KAFKAJS_CONSUMER_RETRIES = 5;
/** How long a stop waits for a restart under way to end before it stops what that started. */
const RESTART_END_WAIT_MS = 5000;

/** Heartbeat answers after which this member no longer owns its partitions (kafkajs rejoins on them). */
const MEMBERSHIP_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);
const isMembershipError = (error: unknown) => MEMBERSHIP_ERRORS.has((error as { type?: string } | undefined)?.type ?? '');

interface Membership {
  /** The heartbeat answer that ended this generation of the membership, once one did. */
  readonly lost: Error | undefined;
  /** Aborted when the consumer stops or this membership is lost. */
  readonly signal: AbortSignal;
  lose(reason: Error): void;
}

/** One generation of group membership: from a join until the next rebalance. */
function membershipOf(stopping: AbortSignal): Membership {
  const lost = new AbortController();
  let reason: Error | undefined;
  return {
    get lost() {
      return reason;
    },
    signal: AbortSignal.any([stopping, lost.signal]),
    lose(error) {
      reason ??= error;
      lost.abort(error);
    },
  };
}

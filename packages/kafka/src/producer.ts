import { CompressionTypes, Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@sophon/logger';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './client.js';
import { BATCH_OVERHEAD_BYTES, PublishBatcher, recordBytes } from './publish-batcher.js';
import { readTopicLimits } from './topics.js';

/** A message to publish; structurally the same as the event contract's OutboundMessage. */
export interface ProducerRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** What services need from a producer; kafkajs stays behind it. */
export interface DurableProducer {
  connect(): Promise<void>;
  /**
   * Resolves once every record is acknowledged by all in-sync replicas (acks=all); rejects
   * with PublishError otherwise, whose `maybeStored` says whether some records may have been
   * written anyway (so the caller can tell the truth about it).
   */
  publish(records: ProducerRecord[]): Promise<void>;
  /** The error publish() would refuse `record` with for being larger than its topic accepts, if it is. */
  tooLarge(record: ProducerRecord): RecordTooLargeError | undefined;
  /** Resolves when the cluster answers a metadata request and recent sends are not all failing. */
  checkConnection(): Promise<void>;
  /** Waits for publishes under way, then disconnects. */
  disconnect(): Promise<void>;
}

export class PublishError extends Error {
  /** A send carrying some of the records had started: they may be in Kafka (consumers drop duplicates by event id). */
  readonly maybeStored: boolean;
  constructor(message: string, options: { cause?: unknown; maybeStored: boolean }) {
    super(message, { cause: options.cause });
    this.name = 'PublishError';
    this.maybeStored = options.maybeStored;
  }
}

/** A record larger than its topic accepts: refused on its own, before anything of its publish is sent. */
export class RecordTooLargeError extends PublishError {
  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a message of ${bytes} bytes is larger than topic ${topic} accepts (max.message.bytes ${limit})`, { maybeStored: false });
    this.name = 'RecordTooLargeError';
  }
}

/** The RecordTooLargeError for `record` if it is larger than its topic accepts (`topicLimit`, max.message.bytes). */
export function recordTooLarge(record: ProducerRecord, topicLimit: (topic: string) => number): RecordTooLargeError | undefined {
  const bytes = recordBytes(record) + BATCH_OVERHEAD_BYTES;
  const limit = topicLimit(record.topic);
  return bytes > limit ? new RecordTooLargeError(record.topic, bytes, limit) : undefined;
}

export interface DurableProducerOptions {
  /** A publish not sent by then is withdrawn and fails; one whose send started waits for that send's outcome. */
  publishTimeoutMs?: number;
  /** Retries inside kafkajs before a send fails. */
  retries?: number;
  /** The client's request timeout (KAFKA_REQUEST_TIMEOUT_MS): the broker is asked to answer within half of it. */
  requestTimeoutMs?: number;
  /** Bytes of one send (all topics). */
  maxBatchBytes?: number;
  /** max.message.bytes per topic (default: deploy/kafka/topics.json; Kafka's default for topics not listed there). */
  topicLimits?: ReadonlyMap<string, number>;
  /** Where the producer's health metrics go, labelled with `name`. */
  registry?: Registry;
  name?: string;
  /** /readyz fails once this many sends in a row have failed. */
  unhealthyAfterFailures?: number;
}

/** Kafka's own default max.message.bytes, for topics the topic file does not list. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Idempotent kafkajs producer with acks=all, one request in flight.
 *
 * kafkajs rolls back the sequence numbers of every partition of a failed produce request,
 * including partitions the broker had appended (a partial failure, or a timeout after the
 * append). Its next send would reuse those numbers: the broker would take it for a duplicate
 * and acknowledge it without writing it. So after any failed send the kafkajs producer is
 * replaced (a new producer id, sequences from zero) before the next send. Retries within one
 * send re-send the same records with the same numbers, which the broker deduplicates correctly.
 */
export function createDurableProducer(kafka: Kafka, logger: Logger, options: DurableProducerOptions = {}): DurableProducer {
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  // How long the broker may wait for the in-sync replicas: below the client's request timeout, so the broker answers first.
  const ackTimeoutMs = Math.floor((options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) / 2);
  const topicLimits = options.topicLimits ?? readTopicLimits();
  const topicLimit = (topic: string) => topicLimits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const unhealthyAfter = options.unhealthyAfterFailures ?? 3;
  const metrics = options.registry ? createProducerMetrics(options.registry, options.name ?? 'events') : undefined;

  const newProducer = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Murmur2 on the key, as the Java client does: a device's events stay on one partition, in order.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
  let producer: Producer = newProducer();
  let connected = false;
  let failuresInARow = 0;
  let lastFailure: unknown;
  const admin = kafka.admin();

  const ensureConnected = async () => {
    if (connected) return;
    await producer.connect();
    connected = true;
  };
  const replaceProducer = () => {
    const old = producer;
    producer = newProducer();
    connected = false;
    metrics?.replaced.inc();
    old.disconnect().catch((error: unknown) => logger.debug({ err: error }, 'disconnecting the replaced producer failed'));
  };

  const batches = new PublishBatcher(
    async (records) => {
      try {
        await producer.sendBatch({ acks: -1, timeout: ackTimeoutMs, compression: CompressionTypes.None, topicMessages: groupByTopic(records) });
      } catch (error) {
        failuresInARow++;
        lastFailure = error;
        metrics?.failedSends.inc();
        metrics?.failingSends.set(failuresInARow);
        replaceProducer();
        throw error;
      }
      failuresInARow = 0;
      metrics?.failingSends.set(0);
      metrics?.sends.inc();
      metrics?.sentRecords.inc(records.length);
    },
    { maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, topicLimit },
    // Reconnecting after an outage comes before records are taken: publishes that time out meanwhile are withdrawn unsent.
    async () => {
      try {
        await ensureConnected();
      } catch (error) {
        failuresInARow++;
        lastFailure = error;
        metrics?.failingSends.set(failuresInARow);
        throw error;
      }
    },
  );

  const tooLarge = (record: ProducerRecord) => recordTooLarge(record, topicLimit);

  return {
    async connect() {
      await ensureConnected();
      await admin.connect();
    },

    tooLarge,

    async publish(records) {
      if (records.length === 0) return;
      for (const record of records) {
        const error = tooLarge(record);
        if (error) throw error;
      }
      const publication = batches.add(records);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), publishTimeoutMs)));
      try {
        const outcome = await Promise.race([publication.acknowledged.then(() => 'acknowledged' as const), timedOut]);
        if (outcome === 'acknowledged') return;
        // Withdraw what is not sent yet, and wait for a send under way: its records may still land,
        // and the caller keeps their bytes accounted for until Kafka is done with them.
        publication.acknowledged.catch(() => undefined);
        await publication.withdraw();
        if (publication.acknowledgedAll) return;
        throw new PublishError(`Kafka did not acknowledge within ${publishTimeoutMs} ms`, { maybeStored: publication.maybeStored });
      } catch (error) {
        if (error instanceof PublishError) throw error;
        logger.warn({ err: error }, 'publish failed');
        throw new PublishError(`Kafka did not accept the messages: ${(error as Error).message}`, { cause: error, maybeStored: publication.maybeStored });
      } finally {
        clearTimeout(timer);
      }
    },

    async checkConnection() {
      if (failuresInARow >= unhealthyAfter) {
        throw new Error(`the last ${failuresInARow} sends to Kafka failed: ${(lastFailure as Error | undefined)?.message ?? 'unknown error'}`);
      }
      await admin.fetchTopicMetadata({ topics: [] });
    },

    async disconnect() {
      await batches.drained();
      await producer.disconnect();
      await admin.disconnect();
      connected = false;
    },
  };
}

/** Shared by every producer of a registry (a service may have two), told apart by the `producer` label. */
function createProducerMetrics(registry: Registry, producer: string) {
  const registers = [registry];
  const labelNames = ['producer'];
  const metric = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const failedSends = metric('kafka_producer_failed_sends_total', () => new Counter({ name: 'kafka_producer_failed_sends_total', help: 'Sends to Kafka that failed after their retries', labelNames, registers }));
  const replaced = metric('kafka_producer_replaced_total', () => new Counter({ name: 'kafka_producer_replaced_total', help: 'Producers replaced (new producer id) after a failed send', labelNames, registers }));
  const failingSends = metric('kafka_producer_failed_sends_in_a_row', () => new Gauge({ name: 'kafka_producer_failed_sends_in_a_row', help: 'Sends that failed since the last one that succeeded', labelNames, registers }));
  // Their ratio is the records per send: how much the coalescing of publishes (PublishBatcher) gets.
  const sends = metric('kafka_producer_sends_total', () => new Counter({ name: 'kafka_producer_sends_total', help: 'Sends to Kafka acknowledged (a send is one produce request to each broker it has records for)', labelNames, registers }));
  const sentRecords = metric('kafka_producer_sent_records_total', () => new Counter({ name: 'kafka_producer_sent_records_total', help: 'Records in sends to Kafka acknowledged', labelNames, registers }));
  return {
    failedSends: failedSends.labels(producer),
    replaced: replaced.labels(producer),
    failingSends: failingSends.labels(producer),
    sends: sends.labels(producer),
    sentRecords: sentRecords.labels(producer),
  };
}

function groupByTopic(records: ProducerRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, key, value, headers } of records) {
    let entry = byTopic.get(topic);
    if (!entry) byTopic.set(topic, (entry = { topic, messages: [] }));
    entry.messages.push({ key, value, headers });
  }
  return [...byTopic.values()];
}

import { CompressionTypes, Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from '@sophon/logger';

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
   * Resolves once every record is acknowledged by all in-sync replicas (acks=all);
   * rejects with PublishError otherwise. Never resolves on a partial write.
   */
  publish(records: ProducerRecord[]): Promise<void>;
  /** Resolves when the cluster answers a metadata request. */
  checkConnection(): Promise<void>;
  /** Waits for publishes under way, then disconnects. */
  disconnect(): Promise<void>;
}

export class PublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}

export interface DurableProducerOptions {
  /** A publish that is not acknowledged by then fails (the device hears 503 and retries). */
  publishTimeoutMs?: number;
  /** Retries inside kafkajs before a publish fails. */
  retries?: number;
}

/**
 * Idempotent kafkajs producer with acks=all. Retries are bounded (kafkajs warns that this
 * weakens its exactly-once guarantee): a publish that fails is answered 503 and the device
 * re-sends, and the consumers drop duplicates by event id, so bounded latency wins here.
 */
export function createDurableProducer(kafka: Kafka, logger: Logger, options: DurableProducerOptions = {}): DurableProducer {
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Murmur2 on the key, as the Java client does: a device's events stay on one partition, in order.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  const admin = kafka.admin();
  const pending = new Set<Promise<unknown>>();
  let connected = false;

  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });
  const ensureConnected = async () => {
    if (connected) return;
    await producer.connect();
    connected = true;
  };

  return {
    async connect() {
      await producer.connect();
      await admin.connect();
      connected = true;
    },

    async publish(records) {
      if (records.length === 0) return;
      // Reconnecting after an outage is part of the publish, so it is bounded by the same timeout.
      const send = ensureConnected().then(() =>
        producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: groupByTopic(records) }),
      );
      pending.add(send);
      void send.catch(() => {}).finally(() => pending.delete(send));
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          send,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new PublishError(`Kafka did not acknowledge within ${publishTimeoutMs} ms`)), publishTimeoutMs);
          }),
        ]);
      } catch (error) {
        if (error instanceof PublishError) throw error;
        logger.warn({ err: error }, 'publish failed');
        throw new PublishError(`Kafka did not accept the messages: ${(error as Error).message}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },

    async checkConnection() {
      await admin.fetchTopicMetadata({ topics: [] });
    },

    async disconnect() {
      await Promise.allSettled([...pending]);
      await producer.disconnect();
      await admin.disconnect();
      connected = false;
    },
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

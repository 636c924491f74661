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
  /** Publishes waiting together are sent as one batch of at most this many value bytes (one publish is never split). */
  maxBatchBytes?: number;
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
  let connected = false;

  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });
  const ensureConnected = async () => {
    if (connected) return;
    await producer.connect();
    connected = true;
  };
  // Reconnecting after an outage is part of the send, so it is bounded by the publish timeout too.
  const batches = new PublishBatcher(async (records) => {
    await ensureConnected();
    await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: groupByTopic(records) });
  }, options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);

  return {
    async connect() {
      await producer.connect();
      await admin.connect();
      connected = true;
    },

    async publish(records) {
      if (records.length === 0) return;
      const publication = batches.add(records);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          publication.acknowledged,
          new Promise((_, reject) => {
            timer = setTimeout(() => {
              // Not sent yet: withdrawn, so nothing the caller was told failed reaches Kafka later.
              publication.withdraw();
              reject(new PublishError(`Kafka did not acknowledge within ${publishTimeoutMs} ms`));
            }, publishTimeoutMs);
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
      await batches.drained();
      await producer.disconnect();
      await admin.disconnect();
      connected = false;
    },
  };
}

const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface Waiting {
  records: ProducerRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent publishes into one send. The idempotent producer allows one request in
 * flight, so sending each publish on its own makes concurrent callers queue for one broker round
 * trip each; here, whatever arrives while a send is under way goes out together in the next one.
 * At low load nothing waits longer than the current turn of the event loop. Each publish settles
 * with the send that carried its records: resolved once Kafka acknowledged that send (acks=all),
 * rejected with its error; a publish is never split across sends.
 */
export class PublishBatcher {
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly send: (records: ProducerRecord[]) => Promise<void>,
    private readonly maxBatchBytes: number,
  ) {}

  add(records: ProducerRecord[]): { acknowledged: Promise<void>; withdraw(): void } {
    let waiting!: Waiting;
    const acknowledged = new Promise<void>((resolve, reject) => {
      waiting = { records, bytes: records.reduce((sum, record) => sum + record.value.length, 0), resolve, reject };
    });
    this.queue.push(waiting);
    // The first send waits for the end of this turn of the event loop, so requests read in the same turn share it.
    this.running ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.sendAll());
    return {
      acknowledged,
      withdraw: () => {
        this.queue = this.queue.filter((entry) => entry !== waiting);
      },
    };
  }

  /** Resolves once every publish added so far has settled. */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private async sendAll(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.send(batch.flatMap((entry) => entry.records));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private takeBatch(): Waiting[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || bytes + this.queue[count]!.bytes <= this.maxBatchBytes)) {
      bytes += this.queue[count]!.bytes;
      count++;
    }
    return this.queue.splice(0, count);
  }
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

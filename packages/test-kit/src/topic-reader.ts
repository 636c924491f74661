import { createKafkaClient, toConsumedMessage, type ConsumedMessage } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { waitFor } from './wait-for.js';

export interface TopicReader {
  /** Every message read so far, in arrival order. */
  readonly messages: ConsumedMessage[];
  /** The messages of one topic read so far. */
  on(topic: string): ConsumedMessage[];
  /** The topic's messages once at least `atLeast` of them were read. */
  read(topic: string, atLeast: number, timeoutMs?: number): Promise<ConsumedMessage[]>;
  /** Waits until `select` finds something in what was read so far, and returns it. */
  waitFor<T>(select: (all: ConsumedMessage[]) => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * One consumer reading `topics` from the beginning into memory, through the product's own client.
 * Resolves once it has joined its group (a first join takes ~3 s on the test broker, so one
 * reader is shared per test file rather than one per assertion).
 */
export async function startTopicReader(brokers: string[], topics: string[]): Promise<TopicReader> {
  const logger = createLogger({ service: 'test-topic-reader', level: 'silent' });
  const consumer = createKafkaClient({ brokers, clientId: 'test-topic-reader' }, logger).consumer({
    groupId: `test-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 4000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    maxBytesPerPartition: 32 * 1024 * 1024,
  });
  const messages: ConsumedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => void messages.push(toConsumedMessage(topic, partition, message)) });
  await joined;
  const on = (topic: string) => messages.filter((message) => message.topic === topic);
  return {
    messages,
    on,
    async read(topic, atLeast, timeoutMs = 10_000) {
      await waitFor(() => on(topic).length >= atLeast, `${atLeast} messages on ${topic} (read ${on(topic).length})`, timeoutMs, 50);
      return on(topic);
    },
    async waitFor(select, what, timeoutMs = 10_000) {
      let found: ReturnType<typeof select>;
      await waitFor(() => (found = select(messages)) !== undefined && found !== false, `${what}; read ${messages.length} messages`, timeoutMs, 50);
      return found as never;
    },
    close: () => consumer.disconnect(),
  };
}

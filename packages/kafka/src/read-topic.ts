import type { Kafka } from 'kafkajs';
import { toConsumedMessage, type ConsumedMessage } from './consumed-message.js';

/**
 * Every message of a topic, from the oldest retained to the high watermark at the time of
 * the call. For tools (the dead-letter CLI), not services: it joins a throwaway group.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, { timeoutMs = 60_000 } = {}): Promise<ConsumedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]));
  if (remaining.size === 0) return [];

  const consumer = kafka.consumer({ groupId: `read-topic-${process.pid}-${Date.now()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
  const messages: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} did not finish within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const last = remaining.get(partition);
          if (last === undefined || BigInt(message.offset) > last) return;
          messages.push(toConsumedMessage(topic, partition, message));
          if (BigInt(message.offset) === last) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

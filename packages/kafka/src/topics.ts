import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import type { Logger } from '@sophon/logger';

export interface TopicDefinition {
  name: string;
  partitions: number;
  /** Broker-side topic configs, e.g. retention.ms, max.message.bytes. */
  config: Record<string, string>;
}

/** Reads the topic list (deploy/kafka/topics.json: the one list the stack and the tests share). */
export function readTopicDefinitions(file: string): TopicDefinition[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected an array of topics`);
  return parsed.map((entry, index) => {
    const { name, partitions, config = {} } = entry as Partial<TopicDefinition>;
    if (typeof name !== 'string' || !name) throw new Error(`${file}[${index}]: name must be a non-empty string`);
    if (!Number.isInteger(partitions) || (partitions as number) < 1) throw new Error(`${file}[${index}]: partitions must be a positive integer`);
    return { name, partitions: partitions as number, config };
  });
}

/**
 * Creates missing topics. A broker without the CreateTopics API (some managed offerings,
 * the test broker) is tolerated: it auto-creates topics, which is logged as a warning.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicDefinition[], logger: Logger): Promise<'created' | 'unsupported'> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(({ name, partitions, config }) => ({
        topic: name,
        numPartitions: partitions,
        configEntries: Object.entries(config).map(([configName, value]) => ({ name: configName, value })),
      })),
    });
    logger.info({ topics: topics.map((t) => t.name) }, 'topics ensured');
    return 'created';
  } catch (error) {
    if ((error as Error).name !== 'KafkaJSServerDoesNotSupportApiKey') throw error;
    logger.warn({ topics: topics.map((t) => t.name) }, 'broker cannot create topics (no CreateTopics API): relying on its auto-creation');
    return 'unsupported';
  } finally {
    await admin.disconnect();
  }
}

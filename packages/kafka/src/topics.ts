import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import type { Logger } from '@sophon/logger';

export interface TopicDefinition {
  name: string;
  partitions: number;
  /** Broker-side topic configs, e.g. retention.ms, max.message.bytes. */
  config: Record<string, string>;
}

/** kafkajs' ConfigResourceTypes.TOPIC: the enum is not visible to ESM imports of the CommonJS package. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** deploy/kafka/topics.json in the repository (and in the product image): relative to src/ and dist/ alike. */
export const DEFAULT_TOPICS_FILE = fileURLToPath(new URL('../../../deploy/kafka/topics.json', import.meta.url));

/** Each listed topic's max.message.bytes: producers keep every record batch under it (the test broker has no topic configs). */
export function readTopicLimits(file = DEFAULT_TOPICS_FILE): Map<string, number> {
  const limits = new Map<string, number>();
  for (const topic of readTopicDefinitions(file)) {
    const limit = Number(topic.config['max.message.bytes']);
    if (Number.isInteger(limit) && limit > 0) limits.set(topic.name, limit);
  }
  return limits;
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
 * Creates missing topics and brings the configs of existing ones up to what the file says. A broker without the CreateTopics API (some managed offerings,
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
    await reconcileTopicConfigs(admin, topics, logger);
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

/**
 * Sets the configs of topics that differ from the file (a topic created by an older release keeps
 * its old max.message.bytes otherwise). AlterConfigs replaces a topic's whole dynamic config, so
 * the file is the one place these topics are configured. Returns the topics changed.
 */
export async function reconcileTopicConfigs(
  admin: Pick<Admin, 'describeConfigs' | 'alterConfigs'>,
  topics: TopicDefinition[],
  logger: Logger,
): Promise<string[]> {
  const configured = topics.filter((topic) => Object.keys(topic.config).length > 0);
  if (configured.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: configured.map((topic) => ({ type: TOPIC_RESOURCE, name: topic.name, configNames: Object.keys(topic.config) })),
  });
  const current = new Map(described.resources.map((resource) => [resource.resourceName, new Map(resource.configEntries.map((entry) => [entry.configName, entry.configValue]))]));
  const changed = configured.filter((topic) => Object.entries(topic.config).some(([name, value]) => current.get(topic.name)?.get(name) !== value));
  if (changed.length === 0) return [];
  for (const topic of changed) {
    const differences = Object.entries(topic.config)
      .filter(([name, value]) => current.get(topic.name)?.get(name) !== value)
      .map(([name, value]) => `${name}: ${current.get(topic.name)?.get(name) ?? '(unset)'} -> ${value}`);
    logger.warn({ topic: topic.name, differences }, 'topic config differs from the topic file: updating it');
  }
  await admin.alterConfigs({
    validateOnly: false,
    resources: changed.map((topic) => ({
      type: TOPIC_RESOURCE,
      name: topic.name,
      configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
    })),
  });
  return changed.map((topic) => topic.name);
}

import { DEFAULT_TOPICS_FILE, readTopicDefinitions } from '@sophon/kafka';

/**
 * The topics of deploy/kafka/topics.json (the one list of them), name -> partitions, with
 * `partitions` each: the test broker keeps ~5 MB per partition, so tests use fewer.
 */
export function pipelineTopicPartitions(partitions = 4): Record<string, number> {
  return Object.fromEntries(readTopicDefinitions(DEFAULT_TOPICS_FILE).map((topic) => [topic.name, partitions]));
}

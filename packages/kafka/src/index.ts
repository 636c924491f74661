export { createKafkaClient, DEFAULT_REQUEST_TIMEOUT_MS, type KafkaSettings } from './client.js';
export {
  createDurableProducer,
  PublishError,
  RecordTooLargeError,
  recordTooLarge,
  type DurableProducer,
  type DurableProducerOptions,
  type ProducerRecord,
} from './producer.js';
export { DEFAULT_TOPICS_FILE, ensureTopics, readTopicDefinitions, readTopicLimits, reconcileTopicConfigs, type TopicDefinition } from './topics.js';
export { PermanentError, isPermanent, describeError } from './errors.js';
export { headersToStrings, toConsumedMessage, type ConsumedMessage } from './consumed-message.js';
export { createConsumerMetrics, type ConsumerMetrics } from './consumer-metrics.js';
export { DEAD_LETTER_HEADERS, deadLetterRecord, replayRecord } from './dead-letter.js';
export { readTopicToEnd } from './read-topic.js';
export { loadDeadLettersConfig, runDeadLetterCli, type DeadLettersConfig } from './dead-letter-cli.js';
export {
  createConsumerRunner,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type ConsumerSettings,
  type MessageSink,
  type SinkContext,
  type SinkResult,
} from './consumer-runner.js';

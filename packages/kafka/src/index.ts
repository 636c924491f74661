export { createKafkaClient, type KafkaSettings } from './client.js';
export { createDurableProducer, PublishError, type DurableProducer, type DurableProducerOptions, type ProducerRecord } from './producer.js';
export { ensureTopics, readTopicDefinitions, type TopicDefinition } from './topics.js';

export { freePort } from './free-port.js';
export {
  committedOffsets,
  KAFKA_API_KEYS,
  KAFKA_ERROR_CODES,
  MOCK_KAFKA_CONSUMER_ENV,
  startKafka,
  type KafkaFaults,
  type KafkaServer,
  type KafkaServerOptions,
} from './kafka.js';
export { waitFor } from './wait-for.js';
export {
  startClickHouse,
  type ClickHouseServer,
  type ClickHouseServerOptions,
  type ClickHouseUser,
} from './clickhouse.js';
export { startS3, type S3Server, type S3ServerOptions } from './s3.js';
export { fetchMetrics, metricSum, metricValue } from './metrics.js';
export { pipelineTopicPartitions } from './topics.js';
export { startTopicReader, type TopicReader } from './topic-reader.js';
export { KILL_AFTER_MS, stopChild, type ChildExit } from './stop-child.js';

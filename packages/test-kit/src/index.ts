export { freePort } from './free-port.js';
export { startKafka, type KafkaServer, type KafkaServerOptions } from './kafka.js';
export {
  startClickHouse,
  type ClickHouseServer,
  type ClickHouseServerOptions,
  type ClickHouseUser,
} from './clickhouse.js';
export { startS3, type S3Server, type S3ServerOptions } from './s3.js';

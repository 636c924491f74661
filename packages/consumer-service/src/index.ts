export { consumerKafkaSettings, consumerServiceEnv, consumerSettings, type ConsumerServiceConfig } from './consumer-service-env.js';
export { runConsumerService, type ConsumerServiceParts, type RunningConsumerService } from './run-consumer-service.js';

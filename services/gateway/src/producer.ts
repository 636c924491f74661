import { createDurableProducer, createKafkaClient, type DurableProducer } from '@sophon/kafka';
import type { Logger } from '@sophon/logger';
import type { Registry } from '@sophon/ops-http';
import type { GatewayConfig } from './config.js';

/**
 * The gateway's producer: every upload is published through it. Also what `pnpm bench` measures
 * as the gateway's Kafka ceiling (the same producer with the same settings, no HTTP in front).
 */
export function createGatewayProducer(config: GatewayConfig, logger: Logger, registry?: Registry): DurableProducer {
  const kafka = createKafkaClient(
    {
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
      // Reconnecting is bounded so a device hears its (true) 503 within seconds when Kafka is gone.
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    },
    logger,
  );
  return createDurableProducer(kafka, logger, {
    publishTimeoutMs: config.GATEWAY_PUBLISH_TIMEOUT_MS,
    requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    registry,
  });
}

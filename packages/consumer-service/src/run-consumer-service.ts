import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createConsumerMetrics,
  createConsumerRunner,
  createDurableProducer,
  createKafkaClient,
  type ConsumedMessage,
  type ConsumerRunner,
  type MessageSink,
} from '@sophon/kafka';
import { createShutdown, retry, type Shutdown } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { createMetricsRegistry, startOpsServer, type ReadinessCheck, type Registry } from '@sophon/ops-http';
import { consumerKafkaSettings, consumerSettings, type ConsumerServiceConfig } from './consumer-service-env.js';

/** What a consumer service adds to the skeleton: what it reads and where it stores it. */
export interface ConsumerServiceParts {
  groupId: string;
  topics: string[];
  sink: MessageSink;
  accepts?: (message: ConsumedMessage) => boolean;
  /** The sink's own dependencies (ClickHouse, S3...), for /readyz. */
  readiness: ReadinessCheck[];
  /** Runs after the consumer left its group: flush and close the sink's clients. */
  close?: () => Promise<void>;
}

export interface RunningConsumerService {
  opsUrl: string;
  runner: ConsumerRunner;
  shutdown: Shutdown;
}

/**
 * Starts a consumer service: its parts (built with the service's metrics registry and
 * logger), the shared Kafka runner with its dead-letter producer, and /healthz, /readyz,
 * /metrics. `shutdown.stop()` leaves the group, closes the sink, then the producer.
 */
export async function runConsumerService(
  service: string,
  config: ConsumerServiceConfig,
  logger: Logger,
  build: (tools: { registry: Registry; logger: Logger }) => Promise<ConsumerServiceParts> | ConsumerServiceParts,
): Promise<RunningConsumerService> {
  const registry = createMetricsRegistry(service);
  const parts = await build({ registry, logger });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  const kafka = createKafkaClient(consumerKafkaSettings(config, `${config.KAFKA_CLIENT_ID}-${service}`), logger);
  const deadLetterProducer = createDurableProducer(kafka, logger, { requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS, registry, name: 'dead-letter' });
  const runner = createConsumerRunner({
    kafka,
    groupId: parts.groupId,
    topics: parts.topics,
    sink: parts.sink,
    accepts: parts.accepts,
    deadLetter: { producer: deadLetterProducer, topic: config.KAFKA_TOPIC_DEAD_LETTER },
    metrics: createConsumerMetrics(registry),
    logger,
    settings: consumerSettings(config),
  });

  const ops: Server = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    checks: [{ name: 'kafka-consumer', check: () => runner.checkHealth() }, ...parts.readiness],
    isAccepting: () => shutdown.accepting,
  });

  shutdown.onStop('leave the consumer group', () => runner.stop());
  if (parts.close) shutdown.onStop('close the sink', parts.close);
  shutdown.onStop('disconnect the dead-letter producer', () => deadLetterProducer.disconnect());
  shutdown.onStop('close the ops server', () => new Promise<void>((resolve) => ops.close(() => resolve())));

  // Kafka may not be up yet (compose start order, restarts): keep trying until it is, or until stopped.
  void retry(
    async () => {
      await deadLetterProducer.connect();
      await runner.start();
    },
    {
      initialMs: 500,
      maxMs: 15_000,
      signal: shutdown.signal,
      onRetry: (error, _attempt, delay) => logger.warn({ err: error, retryInMs: delay }, 'could not start consuming; retrying'),
    },
  ).catch(() => {}); // rejects only once shutdown has begun: nothing left to start

  const { port } = ops.address() as AddressInfo;
  const opsUrl = `http://${config.OPS_HOST === '0.0.0.0' ? '127.0.0.1' : config.OPS_HOST}:${port}`;
  logger.info({ groupId: parts.groupId, topics: parts.topics, opsUrl }, 'consumer service started');
  return { opsUrl, runner, shutdown };
}

import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { readTopicDefinitions, toConsumedMessage, type ConsumedMessage } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { startKafka, type KafkaServer } from '@sophon/test-kit';
import { loadGatewayConfig } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';

export const TOPICS_FILE = fileURLToPath(new URL('../../../deploy/kafka/topics.json', import.meta.url));
export const TOKENS = { boxA: 'token-box-a', boxB: 'token-box-b', any: 'token-any' };
export const DEVICE_TOKENS = `${TOKENS.boxA}:BOX-A,${TOKENS.boxB}:BOX-B,${TOKENS.any}:*`;

/** The topics of deploy/kafka/topics.json, with fewer partitions: the test broker keeps ~5 MB each. */
export function topicPartitions(): Record<string, number> {
  return Object.fromEntries(readTopicDefinitions(TOPICS_FILE).map((topic) => [topic.name, 4]));
}

export async function startTestKafka(): Promise<KafkaServer> {
  return startKafka({ topics: topicPartitions() });
}

export function gatewayEnv(kafka: KafkaServer, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    GATEWAY_PORT: '0',
    OPS_HOST: '127.0.0.1',
    GATEWAY_DEVICE_TOKENS: DEVICE_TOKENS,
    GATEWAY_PUBLISH_TIMEOUT_MS: '3000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
}

/** The gateway in this process, on a free port; the port 0 in GATEWAY_PORT is resolved. */
export async function startTestGateway(kafka: KafkaServer, overrides: Record<string, string> = {}): Promise<RunningGateway> {
  const env = gatewayEnv(kafka, overrides);
  const config = loadGatewayConfig(env);
  return startGateway(config, createLogger({ service: 'gateway-test', level: config.LOG_LEVEL }));
}

export type ReadMessage = ConsumedMessage;

/**
 * One consumer per test file reading every topic from the beginning into memory (a group's
 * first join takes ~3 s on the test broker, so it is shared).
 */
export async function startTopicReader(kafka: KafkaServer, topics: string[]) {
  const client = new Kafka({ brokers: kafka.brokers, clientId: 'topic-reader', logLevel: logLevel.NOTHING });
  const consumer: Consumer = client.consumer({
    groupId: `reader-${process.pid}-${Date.now()}`,
    sessionTimeout: 4000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    maxBytesPerPartition: 32 * 1024 * 1024,
  });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      messages.push(toConsumedMessage(topic, partition, message));
    },
  });
  await joined;
  return {
    messages,
    /** Waits until `predicate` holds over what was read so far. */
    async waitFor<T>(select: (all: ReadMessage[]) => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = select(messages);
        if (found !== undefined && found !== false) return found;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; read ${messages.length} messages`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => consumer.disconnect(),
  };
}


export async function post(url: string, body: unknown, init: { token?: string; headers?: Record<string, string>; raw?: BodyInit } = {}) {
  const target = new URL(url);
  if (init.token !== undefined) target.searchParams.set('token', init.token);
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

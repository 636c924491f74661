import { after, before } from 'node:test';
import { sampleHistoryEvent } from '@sophon/event-contract/testing';
import { createLogger } from '@sophon/logger';
import { pipelineTopicPartitions, startKafka, startTopicReader, type KafkaServer, type TopicReader } from '@sophon/test-kit';
import { loadGatewayConfig } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';

export const TOKENS = { boxA: 'token-box-a', boxB: 'token-box-b', any: 'token-any' };
export const DEVICE_TOKENS = `${TOKENS.boxA}:BOX-A,${TOKENS.boxB}:BOX-B,${TOKENS.any}:*`;

export async function startTestKafka(): Promise<KafkaServer> {
  return startKafka({ topics: pipelineTopicPartitions() });
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

export { startTopicReader, type TopicReader } from '@sophon/test-kit';

export async function post(url: string, body: unknown, init: { token?: string; headers?: Record<string, string>; raw?: RequestInit['body'] } = {}) {
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

/**
 * The usual test bed of a test file: the broker, a gateway on it and, given topics, a reader of
 * them; started before the file's tests and stopped after them. Read its fields inside tests.
 */
export function gatewayTestBed(options: { gatewayEnv?: Record<string, string>; readTopics?: string[] } = {}) {
  const bed = {} as { kafka: KafkaServer; gateway: RunningGateway; reader: TopicReader };
  before(async () => {
    bed.kafka = await startTestKafka();
    bed.gateway = await startTestGateway(bed.kafka, options.gatewayEnv);
    if (options.readTopics) bed.reader = await startTopicReader(bed.kafka.brokers, options.readTopics);
  });
  after(async () => {
    await bed.reader?.close();
    await bed.gateway?.shutdown.stop('test over');
    await bed.kafka?.close();
  });
  return bed;
}

/** A valid event from box `devSno` (with its ep_id); `identity` tells events apart. */
export function eventFrom(devSno: string, identity: string): any {
  const event = structuredClone(sampleHistoryEvent()) as any;
  event.identity_id = identity;
  event.ext_data.dev_sno = devSno;
  event.ext_data.ep_id = `${devSno}__192.168.1.101`;
  return event;
}

/**
 * The simulator against a real gateway (in this process, on the test kit's mock Kafka): what it
 * counts as accepted is what the gateway published, and the gateway's 429 is waited out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { metricValue, pipelineTopicPartitions, startKafka, type KafkaServer } from '@sophon/test-kit';
import { memoryOutput, runSimulatorCli } from '@sophon/device-simulator';
// deploy/ composes the services, and imports them by path as deploy/compose does (services export nothing).
import { loadGatewayConfig } from '../../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../../services/gateway/src/gateway.js';

let kafka: KafkaServer;
const gateways: RunningGateway[] = [];

before(async () => {
  kafka = await startKafka({ topics: pipelineTopicPartitions() });
});
after(async () => {
  for (const gateway of gateways) await gateway.shutdown.stop('test over');
  await kafka?.close();
});

async function gateway(overrides: Record<string, string> = {}): Promise<RunningGateway> {
  const config = loadGatewayConfig({
    KAFKA_BROKERS: kafka.brokers.join(','),
    GATEWAY_PORT: '0',
    OPS_HOST: '127.0.0.1',
    GATEWAY_DEVICE_TOKENS: 'box-a-token:BOX-A,box-b-token:BOX-B,fleet-token:*',
    LOG_LEVEL: 'silent',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...overrides,
  });
  const started = await startGateway(config, createLogger({ service: 'simulator-test', level: 'silent' }));
  gateways.push(started);
  return started;
}

const acceptedByGateway = (url: string) => metricValue(url, 'gateway_events_total', { outcome: 'accepted' });

async function simulate(args: string[]) {
  const output = memoryOutput();
  const code = await runSimulatorCli([...args, '--json'], { output });
  return { code, summary: JSON.parse(output.lines.join('\n')) };
}

test('boxes with bound and wildcard tokens post mixed single events and batches for a second each; the gateway takes them all', async () => {
  const { url } = await gateway();
  const singles = await simulate(['--url', url, '--tokens', 'box-a-token:BOX-A,box-b-token:BOX-B,fleet-token:*', '--devices', '4', '--profile', 'mixed', '--rate', '40', '--duration', '1']);
  const batches = await simulate(['--url', `${url}/HistoryEvent`, '--token', 'fleet-token', '--devices', '50', '--profile', 'small', '--batch', '20', '--max', '--concurrency', '4', '--duration', '1']);

  for (const { code, summary } of [singles, batches]) {
    assert.equal(code, 0);
    assert.ok(summary.eventsSent > 0);
    assert.equal(summary.eventsAccepted, summary.eventsSent, JSON.stringify(summary.statuses));
    assert.equal(summary.eventsRejected, 0);
  }
  assert.equal(await acceptedByGateway(url), singles.summary.eventsAccepted + batches.summary.eventsAccepted);
});

test("a box over the gateway's rate limit hears 429, waits the Retry-After and gets every event in", async () => {
  const { url } = await gateway({ GATEWAY_RATE_LIMIT_EVENTS: '10', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '1' });
  const { code, summary } = await simulate(['--url', url, '--token', 'fleet-token', '--devices', '1', '--profile', 'small', '--events', '25', '--rate', '100', '--max-attempts', '20']);
  assert.equal(code, 0);
  assert.ok(summary.retries['429'] > 0, 'some uploads were refused with 429');
  assert.equal(summary.eventsAccepted, 25);
  assert.equal(summary.eventsGivenUp, 0);
  assert.equal(await acceptedByGateway(url), 25);
});

/**
 * The simulator against a real gateway (in this process, on the test kit's mock Kafka): what it
 * counts as accepted is what the gateway published, and the gateway's 429 is waited out. Status
 * reports count among the gateway's accepted uploads: they share its paths' handler and budget.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { metricValue, pipelineTopicPartitions, startKafka, startTopicReader, type KafkaServer } from '@sophon/test-kit';
import { assignFirmware, FIRMWARES, memoryOutput, runSimulatorCli, simulatedDevices, statusFormatOf } from '@sophon/device-simulator';
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
    assert.equal(summary.statusReports.accepted, summary.statusReports.sent);
  }
  const reports = singles.summary.statusReports.accepted + batches.summary.statusReports.accepted;
  assert.equal(reports, 6 + 50, 'a first report from every box');
  assert.equal(await acceptedByGateway(url), singles.summary.eventsAccepted + batches.summary.eventsAccepted + reports);
});

test("a box over the gateway's rate limit hears 429, waits the Retry-After and gets every event in", async () => {
  const { url } = await gateway({ GATEWAY_RATE_LIMIT_EVENTS: '10', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '1' });
  const { code, summary } = await simulate(['--url', url, '--token', 'fleet-token', '--devices', '1', '--profile', 'small', '--events', '25', '--rate', '100', '--max-attempts', '20']);
  assert.equal(code, 0);
  assert.ok(summary.retries['429'] > 0, 'some uploads were refused with 429');
  assert.equal(summary.eventsAccepted, 25);
  assert.equal(summary.eventsGivenUp, 0);
  assert.equal(summary.statusReports.accepted, 1);
  assert.equal(await acceptedByGateway(url), 25 + 1);
});

test('a fleet of every firmware: each format accepted and published as itself, status reports in both formats, one box silent', async () => {
  const boxes = Array.from({ length: 8 }, (_, i) => `fmt-${i + 1}:FMT-${i + 1}`).join(',');
  const { url } = await gateway({ GATEWAY_DEVICE_TOKENS: boxes });
  const reader = await startTopicReader(kafka.brokers, [DEFAULT_TOPICS.historyEvents, 'device-status']);
  try {
    const { code, summary } = await simulate(['--url', url, '--tokens', boxes, '--silent-boxes', '1', '--status-interval', '1', '--rate', '40', '--duration', '2']);
    assert.equal(code, 0);
    assert.deepEqual(summary.formats, [...FIRMWARES]);
    assert.ok(summary.eventsSent > 0);
    assert.equal(summary.eventsAccepted, summary.eventsSent, JSON.stringify(summary.statuses));
    assert.equal(summary.eventsRejected, 0);
    const status = summary.statusReports;
    assert.deepEqual([status.accepted, status.rejected, status.lost, status.silentBoxes], [status.sent, 0, 0, ['FMT-8']]);

    // The CLI's own fleet: the same firmware for the same seed.
    const firmware = new Map(assignFirmware(simulatedDevices({ count: 0, tokens: boxes }), FIRMWARES, 1).map((d) => [d.devSno, d.firmware!]));
    // Earlier tests' boxes are on these topics too: this fleet's are the FMT- ones.
    const fleetMessages = (topic: string, count: number) =>
      reader.waitFor((all) => {
        const mine = all.filter((m) => m.topic === topic && m.key?.startsWith('FMT-'));
        return mine.length >= count && mine;
      }, `${count} messages of the fleet on ${topic}`);
    const events = await fleetMessages(DEFAULT_TOPICS.historyEvents, summary.eventsAccepted);
    assert.equal(events.length, summary.eventsAccepted);
    const formats = new Set<string>();
    for (const message of events) {
      assert.equal(message.headers['source-format'], firmware.get(message.key!), `${message.key}'s event`);
      formats.add(message.headers['source-format']!);
    }
    assert.deepEqual(formats, new Set(FIRMWARES), 'every format was sent and accepted');
    assert.ok(events.every((m) => m.key !== 'FMT-8'), 'the silent box sent no event');

    const reports = await fleetMessages('device-status', status.accepted);
    assert.equal(reports.length, status.accepted);
    for (const message of reports) assert.equal(message.headers['source-format'], statusFormatOf(firmware.get(message.key!)!), `${message.key}'s report`);
    assert.equal(reports.filter((m) => m.key === 'FMT-8').length, 1, 'the silent box reported once');
    assert.deepEqual(new Set(reports.map((m) => m.headers['source-format'])), new Set(['V5R3C01', 'V6R2C01']));
    for (const box of firmware.keys()) assert.ok(reports.some((m) => m.key === box), `${box} reported`);
  } finally {
    await reader.close();
  }
});

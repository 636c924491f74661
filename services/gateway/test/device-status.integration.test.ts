import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeDeviceStatusMessage, DEFAULT_TOPICS } from '@sophon/event-contract';
import { loadGatewayConfig } from '../src/config.js';
import { gatewayTestBed, post, TOKENS } from './harness.js';

// Issue 9, "Status reports": both report formats through the gateway into Kafka, on every status path.
const CUSTOM_PATH = '/sophon/monitor/DeviceStatus';
const bed = gatewayTestBed({ gatewayEnv: { GATEWAY_DEVICE_STATUS_PATHS: `${CUSTOM_PATH}, /DeviceStatus` }, readTopics: [DEFAULT_TOPICS.deviceStatus, DEFAULT_TOPICS.quarantine, DEFAULT_TOPICS.historyEvents] });

const example = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../../packages/event-contract/test/vendor-examples/${name}.json`, import.meta.url), 'utf8'));
const v5r3 = (devSno: string): Record<string, any> => ({ ...example('V5R3C01-device-status'), dev_sno: devSno });
const v6r2 = (devSno: string) => ({ ...example('V6R2C01-device-status'), mq_license_key: devSno });

async function published(reportId: string) {
  const message = await bed.reader.waitFor(
    (all) => all.find((m) => m.topic === DEFAULT_TOPICS.deviceStatus && m.headers['event-id'] === reportId),
    `the device-status message ${reportId}`,
  );
  return { message, decoded: decodeDeviceStatusMessage(message.value) };
}

async function quarantinedAt(path: string, predicate: (value: any) => boolean) {
  return bed.reader.waitFor(
    (all) => all.find((m) => m.topic === DEFAULT_TOPICS.quarantine && predicate(JSON.parse(m.value.toString())) && JSON.parse(m.value.toString()).path === path),
    `the quarantined body at ${path}`,
  );
}

describe('status reports through the gateway into Kafka', () => {
  for (const [path, body, format] of [
    ['/DeviceStatus', v5r3('BOX-A'), 'V5R3C01'],
    ['/EventServer/api/DeviceStatus', v6r2('BOX-A'), 'V6R2C01'],
    [CUSTOM_PATH, v6r2('BOX-A'), 'V6R2C01'],
  ] as const) {
    test(`${format} on ${path}: 200 once Kafka has it, key = the box, the report in canonical form`, async () => {
      const answer = await post(bed.gateway.url + path, body, { token: TOKENS.boxA });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.data.status, 'accepted');
      const { message, decoded } = await published(answer.json.data.event_id);
      assert.equal(message.key, 'BOX-A');
      assert.equal(decoded.source_format, format);
      assert.equal(decoded.dev_sno, 'BOX-A');
      assert.equal(decoded.cameras.length, 1);
      assert.deepEqual(decoded.report, body);
    });
  }
});

describe('bad inputs', () => {
  test('a box reporting for another box: 403, nothing published', async () => {
    for (const body of [v5r3('BOX-B'), v6r2('BOX-B')]) {
      const answer = await post(bed.gateway.url + '/DeviceStatus', body, { token: TOKENS.boxA });
      assert.equal(answer.status, 403, answer.text);
      assert.match(answer.text, /bound to device BOX-A and cannot post for device BOX-B/);
    }
  });

  test('wrong types: quarantined, the answer names each field', async () => {
    const body = { ...v5r3('BOX-A'), gateway_ext_data: { ...v5r3('BOX-A').gateway_ext_data, temperature: 'hot' } };
    const answer = await post(bed.gateway.url + '/DeviceStatus', body, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.data.status, 'quarantined');
    assert.deepEqual(answer.json.data.errors, [{ pointer: '/gateway_ext_data/temperature', message: 'must be a number (got "hot")' }]);
    const quarantined = JSON.parse((await quarantinedAt('/DeviceStatus', (v) => v.raw?.gateway_ext_data?.temperature === 'hot')).value.toString());
    assert.equal(quarantined.adapter, 'device-status');
    assert.equal(quarantined.dev_sno, 'BOX-A');
  });

  test('a HistoryEvent on the status path is quarantined, told where events go', async () => {
    const event = example('V6R2C01-history-event');
    const answer = await post(bed.gateway.url + '/EventServer/api/DeviceStatus', { ...event, mq_license_key: 'BOX-A' }, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.data.status, 'quarantined');
    assert.match(answer.json.data.errors[0].message, /is a HistoryEvent .* not a device status report: post events to \/HistoryEvent/);
    await quarantinedAt('/EventServer/api/DeviceStatus', (v) => v.adapter === 'device-status');
  });

  test('a status report on the event path is quarantined with the fields an event lacks', async () => {
    for (const body of [v5r3('BOX-A'), v6r2('BOX-A')]) {
      const answer = await post(bed.gateway.url + '/HistoryEvent', body, { token: TOKENS.boxA });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.data.status, 'quarantined');
      assert.match(JSON.stringify(answer.json.data.errors), /identity_id.*is required|is required.*identity_id/);
    }
    await quarantinedAt('/HistoryEvent', (v) => v.adapter === 'history-event' && v.raw?.gateway_sn === 'SZCCKQRAIJBAH0002');
  });
});

describe('GATEWAY_DEVICE_STATUS_PATHS', () => {
  test('refuses a path that is not a literal URL path, naming the variable', () => {
    for (const value of ['DeviceStatus', '/status/:id', '/status?x=1', '/status/']) {
      assert.throws(() => loadGatewayConfig({ GATEWAY_DEVICE_STATUS_PATHS: value }), /GATEWAY_DEVICE_STATUS_PATHS.*literal URL path/s, value);
    }
    assert.deepEqual(loadGatewayConfig({ GATEWAY_DEVICE_STATUS_PATHS: ' /a/b , /c ' }).GATEWAY_DEVICE_STATUS_PATHS, ['/a/b', '/c']);
    assert.deepEqual(loadGatewayConfig({}).GATEWAY_DEVICE_STATUS_PATHS, []);
  });
});

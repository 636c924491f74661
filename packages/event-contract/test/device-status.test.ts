import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createDeviceStatusAdapter, decodeDeviceStatusMessage, DEFAULT_TOPICS, firmwareVersion, MAX_CAMERAS, type ParseResult } from '../src/index.js';

// Issue 9, "Status reports": both vendor examples as sent (vendor-examples/*-device-status.json), every mapping rule, bad inputs.
const adapter = createDeviceStatusAdapter({ topics: { deviceStatus: 'ds', quarantine: 'q' } });
const RECEIVED_AT = 1_700_000_000_123;
const example = (format: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`./vendor-examples/${format}-device-status.json`, import.meta.url), 'utf8'));

function accepted(raw: unknown, receivedAt = RECEIVED_AT) {
  const result = adapter.parse(raw, { receivedAt });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.messages.length, 1);
  const [message] = result.messages;
  return { result, message: message!, decoded: decodeDeviceStatusMessage(message!.value) };
}
function refused(raw: unknown, boundDevSno?: string): Extract<ParseResult, { ok: false }> {
  const result = adapter.parse(raw, { receivedAt: RECEIVED_AT, ...(boundDevSno ? { boundDevSno } : {}) });
  assert.equal(result.ok, false, JSON.stringify(result));
  return result as Extract<ParseResult, { ok: false }>;
}

describe('the vendor examples', () => {
  it('V5R3C01: the box, its metrics and its camera, trimmed IP, firmware version from the banner, the report kept whole', () => {
    const raw = example('V5R3C01');
    const { message, decoded } = accepted(raw);
    assert.equal(message.topic, 'ds');
    assert.equal(message.key, 'ZKZCPI000120190807142601');
    assert.equal(message.headers['source-format'], 'V5R3C01');
    assert.equal(message.headers['event-id'], decoded.report_id);
    assert.equal(decoded.source_format, 'V5R3C01');
    assert.equal(decoded.received_at, RECEIVED_AT);
    assert.deepEqual(decoded.box, {
      ip: '192.168.1.251', name: 'bm1682landy93', status: 'online', sn: 'SZCCKQRAIJBAH0002', mac: 'e0:a5:09:00:0e:6d',
      sw_version: raw.gateway_ext_data.sw_version.trim(), firmware_version: 'V2R1C01', sdk_version: '1.1.56d1e91',
      cpu_usage: 6.5, memory_size_gb: 1.55, memory_usage: 0.77, disk_size_gb: 10.39, disk_free_gb: 9.41, temperature: null,
    });
    assert.deepEqual(decoded.cameras, [{
      ep_id: 'ZKZCPI000120190807142601__192.168.1.101', name: '', ip: '192.168.1.101', status: 'online', type: '2',
      url: 'rtsp://192.168.1.101:554/ch2', location: '95274d2c-0941-4d96-b032-ab200f81362c', permission_id: '',
    }]);
    assert.deepEqual(decoded.report, raw);
  });

  it('V6R2C01: mq_license_key is the box, the example\'s sub_devices list of media_device_* is read, no box metrics; a camera is the ep_id of its events', () => {
    const { message, decoded } = accepted(example('V6R2C01'));
    assert.equal(message.key, 'AFVKQF000120210604151110');
    assert.equal(decoded.source_format, 'V6R2C01');
    assert.equal(decoded.dev_sno, 'AFVKQF000120210604151110');
    assert.ok(Object.values(decoded.box).every((value) => value === null));
    assert.deepEqual(decoded.cameras, [{
      ep_id: 'AFVKQF000120210604151110__2c1a6a12-ecf4-4490-a2fc-8d7a5023bfcd', name: '前门设备', ip: '192.168.1.100', status: 'online', type: 'rtsp',
      url: 'rtsp://192.168.1.100:554/ch2', location: '', permission_id: '820737ae-a6d3-4322-bf7c-46f48066fb64',
    }]);
  });
});

describe('mapping rules', () => {
  it('V6R2C01 as its field table says (media_devices); a camera without media_device_id is <dev_sno>__<ip>', () => {
    const { sub_devices: [camera], ...rest } = example('V6R2C01');
    const { media_device_id: _id, ...anonymous } = camera;
    const { decoded } = accepted({ ...rest, media_devices: [{ ...anonymous, media_device_status: 'OFFLINE' }] });
    assert.equal(decoded.cameras[0]!.ep_id, 'AFVKQF000120210604151110__192.168.1.100');
    assert.equal(decoded.cameras[0]!.status, 'offline');
  });

  it('V5R3C01 temperature and quoted numbers are read; offline box and camera kept as such', () => {
    const raw = example('V5R3C01');
    const { decoded } = accepted({
      ...raw, gateway_status: 'offline',
      gateway_ext_data: { ...raw.gateway_ext_data, temperature: 37, cpu_usage: '12.5' },
      sub_devices: [{ ...raw.sub_devices[0], ep_status: 'offline' }],
    });
    assert.equal(decoded.box.temperature, 37);
    assert.equal(decoded.box.cpu_usage, 12.5);
    assert.equal(decoded.box.status, 'offline');
    assert.equal(decoded.cameras[0]!.status, 'offline');
  });

  it('the firmware version is the banner\'s VERSION line, null without one', () => {
    assert.equal(firmwareVersion('BUILD TIME: x\nVERSION: V5R3C01\n'), 'V5R3C01');
    assert.equal(firmwareVersion('1.2.3'), null);
    assert.equal(firmwareVersion(null), null);
  });

  it('report_id: one per report and receive minute, so a re-sent report collapses and the next one does not', () => {
    const raw = example('V5R3C01');
    const id = (body: unknown, at: number) => accepted(body, at).decoded.report_id;
    const minute = Math.floor(RECEIVED_AT / 60_000) * 60_000;
    assert.equal(id(raw, minute + 1), id(raw, minute + 59_999));
    assert.notEqual(id(raw, minute), id(raw, minute + 60_000));
    assert.notEqual(id(raw, minute), id({ ...raw, gateway_status: 'offline' }, minute));
  });
});

describe('bad inputs', () => {
  it('wrong types: each field named, with what it must be and what came', () => {
    const raw = example('V5R3C01');
    const { errors, devSno } = refused({
      ...raw,
      gateway_status: 'sleeping',
      gateway_ext_data: { ...raw.gateway_ext_data, cpu_usage: 'busy', disk_free_size: -1, gateway_mac: {} },
      sub_devices: [{ ...raw.sub_devices[0], ep_ip: null }, 'camera'],
    });
    assert.equal(devSno, 'ZKZCPI000120190807142601');
    assert.deepEqual(errors, [
      { pointer: '/gateway_status', message: 'must be "online" or "offline" (got "sleeping")' },
      { pointer: '/gateway_ext_data/gateway_mac', message: 'must be a string (got an object)' },
      { pointer: '/gateway_ext_data/cpu_usage', message: 'must be a number (got "busy")' },
      { pointer: '/gateway_ext_data/disk_free_size', message: 'must be from 0 to ∞ (got -1)' },
      { pointer: '/sub_devices/1', message: 'must be an object (got "camera")' },
      { pointer: '/sub_devices/0/ep_ip', message: 'is required' },
    ]);
  });

  it('V6R2C01: an empty mq_license_key, a camera list that is not a list', () => {
    const { errors } = refused({ mq_license_key: '', media_devices: { camera: 1 } }, 'BOX-A');
    assert.deepEqual(errors, [
      { pointer: '/media_devices', message: 'must be an array (got an object)' },
      { pointer: '/mq_license_key', message: 'must not be empty' },
    ]);
  });

  it(`a report with more than ${MAX_CAMERAS} cameras is refused before reading them`, () => {
    const { errors } = refused({ mq_license_key: 'BOX-A', media_devices: Array.from({ length: MAX_CAMERAS + 1 }, () => ({})) });
    assert.deepEqual(errors, [{ pointer: '/media_devices', message: `must have at most ${MAX_CAMERAS} items (got ${MAX_CAMERAS + 1} items)` }]);
  });

  it('a HistoryEvent posted as a status report is named as one, with where it belongs', () => {
    for (const event of [{ identity_id: 'x', ext_data: { dev_sno: 'BOX-A' } }, { api_version: '2.0', mq_license_key: 'BOX-A', identity_id: 'x' }]) {
      const { errors } = refused(event, 'BOX-A');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /^is a HistoryEvent \(it has .*\), not a device status report: post events to \/HistoryEvent or \/EventServer\/api\/HistoryEvent$/);
    }
  });

  it('a body of no known format names the formats tried; a non-object is refused', () => {
    assert.match(refused({ hello: 1 }).errors[0]!.message, /matches no known device status report format \(tried V5R3C01, V6R2C01\)/);
    assert.deepEqual(refused([1]).errors, [{ pointer: '', message: 'must be a JSON object (one device status report)' }]);
  });

  it('claimedDevSno reads dev_sno or mq_license_key without validating', () => {
    assert.equal(adapter.claimedDevSno({ dev_sno: 'BOX-B', gateway_ip: 3 }), 'BOX-B');
    assert.equal(adapter.claimedDevSno({ mq_license_key: 'BOX-C' }), 'BOX-C');
    assert.equal(adapter.claimedDevSno({ mq_license_key: '' }), undefined);
    assert.equal(adapter.claimedDevSno('x'), undefined);
  });

  it('the topic is in the defaults', () => assert.equal(DEFAULT_TOPICS.deviceStatus, 'device-status'));
});

import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import {
  createDeviceStatusAdapter,
  createHistoryEventAdapter,
  decodeDeviceStatusMessage,
  decodeHistoryEventMessage,
  DEFAULT_TOPICS,
  SOURCE_FORMATS,
} from '@sophon/event-contract';
import {
  assignFirmware,
  camerasOf,
  createEventGenerator,
  createPicturePool,
  createRandom,
  createStatusReportGenerator,
  FIRMWARES,
  simulatedDevices,
  type DeviceEvent,
  type Firmware,
  type SimulatedDevice,
} from '../src/index.js';

const pool = createPicturePool(1);
const events = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * 1024 * 1024 });
const reports = createDeviceStatusAdapter({ topics: { deviceStatus: 'device-status', quarantine: 'quarantine' } });
const fleetOf = (firmware: Firmware | undefined, count = 4): SimulatedDevice[] =>
  simulatedDevices({ count, token: 'any' }).map((device) => (firmware ? { ...device, firmware } : device));

function generate(devices: SimulatedDevice[], count: number, profile: 'small' | 'mixed' = 'mixed', seed = 7, pictures = pool): DeviceEvent[] {
  const generator = createEventGenerator({ profile, random: createRandom(seed), pictures });
  return Array.from({ length: count }, (_, i) => generator.next(devices[i % devices.length]!));
}

/** Through the gateway's own adapter, as the gateway would (no token binding: the event must name its box). */
function parse(event: DeviceEvent) {
  const result = events.parse(JSON.parse(JSON.stringify(event)), { receivedAt: Date.now() });
  assert.ok(result.ok, `refused: ${JSON.stringify(!result.ok && result.errors)}\n${JSON.stringify(event).slice(0, 600)}`);
  const message = result.messages.find((m) => m.topic === DEFAULT_TOPICS.historyEvents)!;
  return { result, header: message.headers['source-format'], decoded: decodeHistoryEventMessage(message.value) };
}

test('the simulator names the firmware formats as the contract does', () => {
  assert.deepEqual([...FIRMWARES].sort(), [...SOURCE_FORMATS].sort());
});

for (const firmware of FIRMWARES) {
  test(`${firmware} events are accepted by the history-event adapter as ${firmware}, for the right box and camera, with distinct ids`, () => {
    const devices = fleetOf(firmware);
    const ids = new Set<string>();
    for (const [i, event] of generate(devices, 120).entries()) {
      const device = devices[i % devices.length]!;
      const { result, header, decoded } = parse(event);
      assert.equal(header, firmware);
      assert.equal(decoded.source_format, firmware);
      assert.equal(decoded.event.ext_data.dev_sno, device.devSno);
      const camera = camerasOf(device)[0];
      assert.equal(decoded.event.ext_data.ep_id, firmware === 'V6R2C01' ? `${device.devSno}__${camera.id}` : camera.id);
      assert.equal(decoded.event.ext_data.device_ip, device.ip);
      ids.add(result.eventId);
    }
    assert.equal(ids.size, 120);
  });
}

test('V2R2C01: no want_action, the quality verdict in box_fiqa_info decides the flag, grab_fiqa_info kept', () => {
  const sample = generate(fleetOf('V2R2C01'), 200, 'small') as any[];
  assert.ok(sample.every((e) => !('want_action' in e) && e.ext_data.grab_fiqa_info && e.ext_data.fiqa_result === undefined));
  assert.deepEqual(new Set(sample.map((e) => e.ext_data.box_fiqa_info.fiqa_result)), new Set([true, false]));
  for (const event of sample.slice(0, 40)) {
    const { decoded } = parse(event);
    assert.equal(decoded.event.want_action, '0');
    assert.equal(decoded.event.ext_data.fiqa_result, event.ext_data.box_fiqa_info.fiqa_result);
    assert.equal(event.ext_data.box_fiqa_info.fails.length === 0, event.ext_data.box_fiqa_info.fiqa_result);
  }
});

test('V5R6C01: flat, 0–100 scores, dev_sno sometimes "" as in the vendor example, the feature as a list or feature_binary', () => {
  const sample = generate(fleetOf('V5R6C01'), 400, 'small') as any[];
  assert.ok(sample.every((e) => e.ext_data === undefined && e.ep_info && 'identity_info' in e && e.out_timestamp > e.timestamp));
  assert.ok(sample.some((e) => e.dev_sno === '') && sample.some((e) => e.dev_sno !== ''));
  assert.ok(sample.some((e) => e.score > 1), 'scores on the 0–100 scale');
  const binary = sample.filter((e) => e.recognize_face_attr.feature_binary);
  const listed = sample.filter((e) => e.recognize_face_attr.feature.length === 512);
  assert.ok(binary.length > 20 && listed.length > 20, `${binary.length} binary, ${listed.length} listed`);
  for (const event of [...binary.slice(0, 5), ...listed.slice(0, 5)]) {
    const { decoded } = parse(event);
    assert.equal(decoded.event.ext_data.info?.feature?.length, 512);
    assert.ok(decoded.score_normalised! >= 0 && decoded.score_normalised! <= 1);
  }
});

test('V6R2C01: api_version 2.0, post_action, user_type words, mq_license_key, *_image, null attributes, feature_base64_str', () => {
  const sample = generate(fleetOf('V6R2C01'), 400, 'mixed') as any[];
  assert.ok(sample.every((e) => e.api_version === '2.0' && typeof e.post_action === 'string' && e.mq_license_key.startsWith('SIM-')));
  assert.deepEqual(new Set(sample.map((e) => e.user_type)), new Set(['employee', 'visitor', 'blacklist', 'stranger', 'vip']));
  assert.ok(sample.some((e) => e.spot_image !== '') && sample.some((e) => e.reg_image === ''));
  const withFeature = sample.filter((e) => e.recognize_face_attr?.feature_base64_str);
  assert.ok(withFeature.length > 50);
  for (const event of withFeature.slice(0, 5)) {
    assert.equal(Buffer.from(event.recognize_face_attr.feature_base64_str, 'base64').length, 512 * 4);
    assert.equal(event.recognize_face_attr.age, null);
    const { decoded } = parse(event);
    assert.equal(decoded.event.ext_data.info?.feature?.length, 512);
    assert.equal(decoded.event.score, event.score);
    assert.equal(decoded.event.ext_data.person_type, { employee: 1, visitor: 2, blacklist: 3, stranger: 4, vip: 5 }[event.user_type as string]);
  }
});

test('boxes without a firmware send exactly what V5R3C01 boxes send: the seed events of the benchmarks do not move', (t) => {
  // Events carry the clock's time, and the pool makes every picture unique: the same of both for both runs.
  const run = (firmware: Firmware | undefined) => {
    mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
    try {
      return generate(fleetOf(firmware), 50, 'mixed', 7, createPicturePool(1));
    } finally {
      mock.timers.reset();
    }
  };
  t.after(() => mock.timers.reset());
  assert.deepEqual(run(undefined), run('V5R3C01'));
});

test('each box gets one firmware, dealt by the seed: every format present, the same for the same seed', () => {
  const devices = simulatedDevices({ count: 10, token: 'any' });
  const one = assignFirmware(devices, FIRMWARES, 1).map((d) => d.firmware);
  assert.deepEqual(assignFirmware(devices, FIRMWARES, 1).map((d) => d.firmware), one);
  assert.deepEqual(new Set(one), new Set(FIRMWARES));
  const seeds = new Set([1, 2, 3, 4, 5].map((seed) => assignFirmware(devices, FIRMWARES, seed).map((d) => d.firmware).join()));
  assert.ok(seeds.size > 1, 'other seeds, other fleets');
  assert.deepEqual(new Set(assignFirmware(devices, ['V6R2C01'], 9).map((d) => d.firmware)), new Set(['V6R2C01']));
  assert.throws(() => assignFirmware(devices, [], 1), /no formats/);
});

for (const firmware of FIRMWARES) {
  const format = firmware === 'V6R2C01' ? 'V6R2C01' : 'V5R3C01';
  test(`a ${firmware} box's status report is a ${format} report the device-status adapter accepts, naming its cameras as its events do`, () => {
    const device = fleetOf(firmware, 1)[0]!;
    const generator = createStatusReportGenerator(createRandom(3));
    const offline = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const result = reports.parse(generator.next(device), { receivedAt: Date.now() + i * 60_000, boundDevSno: device.devSno });
      assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
      const message = decodeDeviceStatusMessage(result.messages[0]!.value);
      assert.equal(result.messages[0]!.headers['source-format'], format);
      assert.equal(message.dev_sno, device.devSno);
      // The ep_id its events carry: V6R2C01 events are `<mq_license_key>__<media_device_id>`.
      const eventEpId = (id: string) => (firmware === 'V6R2C01' ? `${device.devSno}__${id}` : id);
      assert.deepEqual(message.cameras.map((c) => c.ep_id), camerasOf(device).map((c) => eventEpId(c.id)));
      assert.equal(message.cameras[0]!.status, 'online');
      if (message.cameras[1]!.status === 'offline') offline.add(message.report_id);
      if (format === 'V5R3C01') {
        assert.equal(message.box.firmware_version, firmware);
        assert.match(message.box.ip!, /^198\.18\.\d+\.\d+$/);
        assert.ok(message.box.temperature! >= 35 && message.box.disk_free_gb! <= message.box.disk_size_gb!);
      }
    }
    assert.ok(offline.size > 0 && offline.size < 40, 'the second camera is offline now and then');
  });
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { createHistoryEventAdapter, DEFAULT_TOPICS } from '@sophon/event-contract';
import {
  createEventGenerator,
  createPicturePool,
  createRandom,
  deviceRequestSource,
  PICTURE_SIZE_RANGES,
  simulatedDevices,
  type DeviceEvent,
  type PictureClass,
} from '../src/index.js';

const pool = createPicturePool(1);
const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * 1024 * 1024 });
const devices = simulatedDevices({ count: 5, token: 'any' });
const PICTURE_FIELDS: [PictureClass, (e: any) => string | undefined][] = [
  ['scene', (e) => e.ext_data.spot_pic],
  ['face', (e) => e.ext_data.recognize_face],
  ['ir', (e) => e.ext_data.ir_pic],
  ['registered', (e) => e.reg_pic || undefined],
];

function events(profile: 'small' | 'full' | 'mixed', count: number, seed = 7): DeviceEvent[] {
  const generator = createEventGenerator({ profile, random: createRandom(seed), pictures: pool });
  return Array.from({ length: count }, (_, i) => generator.next(devices[i % devices.length]!));
}

test('every picture class has variants spread inside its realistic size range', () => {
  for (const pictureClass of Object.keys(PICTURE_SIZE_RANGES) as PictureClass[]) {
    const { min, max } = PICTURE_SIZE_RANGES[pictureClass];
    const sizes = pool.variantSizes(pictureClass);
    assert.ok(sizes.length >= 3, `${pictureClass}: several variants`);
    for (const size of sizes) assert.ok(size >= min && size <= max, `${pictureClass} variant of ${size} bytes is within ${min}..${max}`);
    assert.ok(new Set(sizes).size === sizes.length, `${pictureClass}: variants differ in size`);
  }
});

test('the pictures of full events are decodable JPEGs of the right size class, each with bytes of its own', () => {
  const digests = new Set<string>();
  for (const event of events('full', 12)) {
    for (const [pictureClass, read] of PICTURE_FIELDS) {
      const base64 = read(event);
      assert.ok(base64, `${pictureClass} present in a full event`);
      const bytes = Buffer.from(base64, 'base64');
      const { min, max } = PICTURE_SIZE_RANGES[pictureClass];
      assert.ok(bytes.length >= min && bytes.length <= max, `${pictureClass} of ${bytes.length} bytes`);
      digests.add(createHash('sha256').update(bytes).digest('hex'));
    }
  }
  assert.equal(digests.size, 12 * 4, 'no two pictures share their bytes');
  const scene = Buffer.from((events('full', 1)[0] as any).ext_data.spot_pic, 'base64');
  const decoded = jpeg.decode(scene, { useTArray: true, maxResolutionInMP: 10 });
  assert.deepEqual([decoded.width, decoded.height], [1920, 1080]);
});

test('generated events of every profile are valid HistoryEvents with distinct event ids', () => {
  const ids = new Set<string>();
  for (const profile of ['small', 'full', 'mixed'] as const) {
    for (const event of events(profile, profile === 'small' ? 400 : 60)) {
      const result = adapter.parse(JSON.parse(JSON.stringify(event)), { receivedAt: Date.now() });
      assert.ok(result.ok, `${profile} event rejected: ${JSON.stringify(!result.ok && result.errors)}`);
      ids.add(result.eventId);
    }
  }
  assert.equal(ids.size, 400 + 60 + 60);
});

test('the small profile has no pictures, full has all four, mixed has both and events in between', () => {
  const pictureCount = (event: DeviceEvent) => PICTURE_FIELDS.filter(([, read]) => read(event)).length;
  assert.deepEqual(new Set(events('small', 50).map(pictureCount)), new Set([0]));
  assert.deepEqual(new Set(events('full', 20).map(pictureCount)), new Set([4]));
  assert.deepEqual(new Set(events('mixed', 200).map(pictureCount)), new Set([0, 2, 4]));
});

test('the mix covers every person type, want_action 0/1001/1002, fiqa_result on and off, attributes on and off', () => {
  const sample = events('small', 1000) as any[];
  assert.deepEqual(new Set(sample.map((e) => e.ext_data.person_type)), new Set([1, 2, 3, 4, 5]));
  assert.deepEqual(new Set(sample.map((e) => e.want_action)), new Set(['0', '1001', '1002']));
  assert.deepEqual(new Set(sample.map((e) => e.ext_data.fiqa_result)), new Set([true, false, undefined]));
  const withFeature = sample.filter((e) => e.ext_data.info?.feature?.length === 512);
  assert.ok(withFeature.length > 100 && withFeature.length < 900, `${withFeature.length} of 1000 with a 512-number feature`);
  assert.ok(sample.some((e) => e.ext_data.info === undefined), 'some without info');
  assert.ok(sample.some((e) => e.ext_data.info?.age === ''), 'some with empty attributes');
  assert.ok(sample.filter((e) => e.want_action === '1001').every((e) => e.ext_data.person_type === 4), '1001 only for strangers');
});

test('uploads carry one event, or an array of up to 100 from one device, with its token in the query', () => {
  const generator = createEventGenerator({ profile: 'small', random: createRandom(3) });
  const single = deviceRequestSource({ devices, generator, batch: 1 }).next();
  assert.equal(single.events, 1);
  assert.equal(single.batch, false);
  assert.equal(single.path, '/EventServer/api/HistoryEvent?token=any');
  assert.equal(Array.isArray(JSON.parse(single.body.toString())), false);

  const batch = deviceRequestSource({ devices, generator, batch: 100 }).next();
  const parsed = JSON.parse(batch.body.toString()) as any[];
  assert.equal(parsed.length, 100);
  assert.equal(new Set(parsed.map((e) => e.ext_data.dev_sno)).size, 1, 'a box uploads its own history');
  assert.throws(() => deviceRequestSource({ devices, generator, batch: 101 }), RangeError);
});

test('--tokens binds one box per token; a wildcard pair stands for generated boxes', () => {
  const bound = simulatedDevices({ count: 3, tokens: 'ta:BOX-A,tb:BOX-B' });
  assert.deepEqual(bound.map((d) => [d.devSno, d.token]), [['BOX-A', 'ta'], ['BOX-B', 'tb']]);
  const mixed = simulatedDevices({ count: 2, tokens: 'ta:BOX-A,tw:*' });
  assert.deepEqual(mixed.map((d) => [d.devSno, d.token]), [['BOX-A', 'ta'], ['SIM-0001', 'tw'], ['SIM-0002', 'tw']]);
  assert.throws(() => simulatedDevices({ count: 1, tokens: 'no-colon' }), /token:dev_sno/);
});

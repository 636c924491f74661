import type { SimulatedDevice } from './devices.js';
import type { DeviceEvent } from './event-generator.js';
import { camerasOf } from './fleet.js';
import type { Random } from './random.js';

type Fields = Record<string, any>;

/** V6R2C01's user_type words for the person_type digits. */
const USER_TYPES: Readonly<Record<number, string>> = { 1: 'employee', 2: 'visitor', 3: 'blacklist', 4: 'stranger', 5: 'vip' };
const QUALITY_CHECKS = ['face_size', 'clarity', 'headpose', 'partial', 'brightness'];

/**
 * The seed's (V5R3C01) event as a box of `device.firmware` sends it, following the vendor's example
 * of each format (packages/event-contract/test/vendor-examples). A V5R3C01 box's event is returned
 * as it is, drawing nothing, so the seed's events stay what they were for a given --seed.
 */
export function inFirmwareShape(event: DeviceEvent, device: SimulatedDevice, random: Random): DeviceEvent {
  switch (device.firmware ?? 'V5R3C01') {
    case 'V5R3C01':
      return event;
    case 'V2R2C01':
      return toV2R2(event as Fields, random);
    case 'V5R6C01':
      return toV5R6(event as Fields, device, random);
    case 'V6R2C01':
      return toV6R2(event as Fields, device, random);
  }
}

/** V2R2C01: no want_action, no attributes; the quality check in box_fiqa_info, the tracker's view in grab_fiqa_info. */
function toV2R2(event: Fields, random: Random): DeviceEvent {
  const { want_action: _none, ext_data: ext, ...top } = event;
  const { fiqa_result: fiqa = random.chance(0.85), info, ...rest } = ext as Fields;
  const age = random.int(4, 70);
  const sex = random.int(0, 1);
  const left = info?.box?.[0] ?? random.int(0, 1700);
  const top_ = info?.box?.[1] ?? random.int(0, 860);
  const size = random.int(60, 220);
  const fails = fiqa ? [] : QUALITY_CHECKS.filter(() => random.chance(0.4));
  if (!fiqa && fails.length === 0) fails.push('clarity');
  return {
    ...top,
    ext_data: {
      ...rest,
      grab_fiqa_info: {
        confidence: random.int(60, 99), face_id: random.int(1, 100_000), age, sex,
        rect: { top: top_, bottom: top_ + size, right: left + size, left },
        rel_rect: { top: 62, bottom: 62 + size, right: 52 + size, left: 52 },
        pitch: 0, yaw: 0, roll: 0, eye_dist: Math.round(size * 0.4),
      },
      box_fiqa_info: {
        age, sex,
        info: {
          face_size: size * 1.5, clarity: round(0.5 + random.next(), 6), partial: !fiqa && fails.includes('partial'), brightness: round(0.3 + random.next() * 0.6, 6),
          headpose: { roll_angle: round(random.next() * 30 - 15, 3), pitch_angle: round(random.next() * 30 - 15, 3), yaw_angle: round(random.next() * 30 - 15, 3) },
        },
        fiqa_result: fiqa,
        success: QUALITY_CHECKS.filter((check) => !fails.includes(check)),
        fails,
      },
    },
  };
}

/** V5R6C01, flat: scores 0–100, the camera in ep_info, attributes in recognize_face_attr, dev_sno sometimes "" as in the vendor's example. */
function toV5R6(event: Fields, device: SimulatedDevice, random: Random): DeviceEvent {
  const ext = event['ext_data'] as Fields;
  const [camera] = camerasOf(device);
  const feature = ext['info']?.feature as number[] | undefined;
  const sendBinary = feature !== undefined && feature.length > 0 && random.chance(0.5);
  return {
    identity_id: event['identity_id'],
    identity_name: event['identity_name'],
    identity_info: {},
    timestamp: event['timestamp'],
    out_timestamp: event['timestamp'] + random.int(300, 4000),
    score: hundred(event['score']),
    want_action: event['want_action'],
    person_type: ext['person_type'],
    dev_sno: random.chance(0.25) ? '' : device.devSno,
    ep_info: { ep_type: camera.typeWord, ep_name: camera.name, device_id: camera.uuid, ep_ip: camera.ip, ep_id: camera.id },
    reg_pic: event['reg_pic'] ?? '',
    spot_pic: ext['spot_pic'] ?? '',
    ir_pic: ext['ir_pic'] ?? '',
    recognize_face: ext['recognize_face'] ?? '',
    recognize_face_attr: {
      age: ext['info']?.age || null,
      gender: ext['info']?.gender || null,
      glasses: ext['info']?.glasses || null,
      hat: null, mask: null, expression: null,
      box: ext['info']?.box ?? [],
      point: landmarks(ext['info']?.box, random),
      ...(sendBinary ? { feature: [], feature_binary: float32Base64(feature) } : { feature: feature ?? [] }),
    },
  };
}

/** V6R2C01, "2.0": renamed fields, scores 0–100, the camera in media_device_info, attributes null, the feature as base64 float32. */
function toV6R2(event: Fields, device: SimulatedDevice, random: Random): DeviceEvent {
  const ext = event['ext_data'] as Fields;
  const [camera] = camerasOf(device);
  const feature = ext['info']?.feature as number[] | undefined;
  const out: Fields = {
    api_version: '2.0',
    identity_id: event['identity_id'],
    identity_name: event['identity_name'],
    timestamp: event['timestamp'],
    in_timestamp: event['timestamp'],
    out_timestamp: event['timestamp'] + random.int(300, 4000),
    score: hundred(event['score']),
    post_action: event['want_action'],
    user_type: USER_TYPES[ext['person_type'] as number],
    mq_license_key: device.devSno,
    media_device_info: { media_device_ip: camera.ip, media_device_type: camera.typeWord, media_device_name: camera.name, media_device_id: camera.id },
    reg_image: event['reg_pic'] ?? '',
    spot_image: ext['spot_pic'] ?? '',
    ir_image: ext['ir_pic'] ?? '',
    recognize_face_image: ext['recognize_face'] ?? '',
  };
  if (ext['info'] !== undefined) {
    out['recognize_face_attr'] = {
      gender: null, hat: null, glasses: null, mask: null, expression: null, age: null,
      box: ext['info'].box ?? [],
      point: landmarks(ext['info'].box, random),
      feature_base64_str: feature?.length ? float32Base64(feature) : '',
    };
  }
  return out;
}

/** The 0–100 scale of the later firmware (the V6R2C01 example's 94.8). */
const hundred = (score: number) => round(score * 100, 2);

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Five facial landmarks (x, y pairs) inside the face box, as the flat formats' `point`. */
function landmarks(box: number[] | undefined, random: Random): number[] {
  if (!box || box.length < 4) return [];
  const [x1, y1, x2, y2] = box as [number, number, number, number];
  return Array.from({ length: 10 }, (_, i) => round(i % 2 === 0 ? x1 + random.next() * (x2 - x1) : y1 + random.next() * (y2 - y1), 3));
}

/** base64 of little-endian float32 values: feature_binary / feature_base64_str. */
function float32Base64(feature: number[]): string {
  const bytes = Buffer.alloc(feature.length * 4);
  feature.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

import type { SimulatedDevice } from './devices.js';
import { inFirmwareShape } from './firmware-events.js';
import type { PicturePool } from './jpeg-pool.js';
import type { Random } from './random.js';

/** small: no pictures; full: all four; mixed: what a fleet sends (some boxes leave pictures out). */
export type EventProfile = 'small' | 'full' | 'mixed';
export const EVENT_PROFILES: readonly EventProfile[] = ['small', 'full', 'mixed'];

/** A HistoryEvent as a box sends it (JSON-ready). */
export type DeviceEvent = Record<string, unknown>;

export interface EventGenerator {
  /** The next event of `device`: a later timestamp than its previous one, so a distinct event id. */
  next(device: SimulatedDevice): DeviceEvent;
}

const PERSON_TYPES = [
  [1, 55], // employee
  [2, 15], // visitor
  [3, 3], // blacklist
  [4, 22], // stranger
  [5, 5], // vip
] as const;
const AGES = ['child', 'juvenile', 'youth', 'middle-aged', 'aged'];
const FEATURE_LENGTH = 512;

/**
 * Events in the dialect of each box's firmware (`device.firmware`, V5R3C01 when absent), with the
 * variety real boxes produce: every person type, want_action 0/1001/1002,
 * fiqa_result true/false/absent, attribute detection on (age, gender, glasses, box and a
 * 512-number feature) or off (no info, or empty attributes), and pictures by profile.
 */
export function createEventGenerator(options: { profile: EventProfile; random: Random; pictures?: PicturePool }): EventGenerator {
  const { profile, random, pictures } = options;
  if (profile !== 'small' && !pictures) throw new Error(`the ${profile} profile needs a picture pool`);
  const lastTimestamp = new Map<string, number>();

  const timestampFor = (devSno: string) => {
    const previous = lastTimestamp.get(devSno) ?? 0;
    const timestamp = Math.max(Date.now(), previous + 1);
    lastTimestamp.set(devSno, timestamp);
    return timestamp;
  };

  return {
    next(device) {
      const timestamp = timestampFor(device.devSno);
      const personType = random.weighted(PERSON_TYPES);
      const isStranger = personType === 4;
      const personNumber = random.int(1, 5000);
      const event: DeviceEvent = {
        // Stranger ids look like "1602612036.3828533" on real boxes.
        identity_id: isStranger ? `${Math.floor(timestamp / 1000)}.${random.int(1_000_000, 9_999_999)}` : String(10_000 + personNumber),
        identity_name: isStranger ? 'stranger' : `Person ${personNumber}`,
        group_name: isStranger ? 'stranger_group' : random.pick(['default_group', 'staff', 'visitors']),
        timestamp,
        score: Math.round((isStranger ? random.next() * 0.4 : 0.6 + random.next() * 0.4) * 10_000) / 10_000,
        want_action: wantAction(personType, random),
        ext_data: {
          device_ip: device.ip,
          ep_id: `${device.devSno}__${device.ip}`,
          dev_sno: device.devSno,
          person_type: personType,
          device_type: device.deviceType,
          ...fiqaResult(random),
          ...faceInfo(random),
        },
      };
      addPictures(event, pictureSet(profile, random), pictures, random);
      return inFirmwareShape(event, device, random);
    },
  };
}

function wantAction(personType: number, random: Random): string {
  if (personType === 4 && random.chance(0.3)) return '1001'; // register this stranger
  if (personType === 1 && random.chance(0.05)) return '1002'; // update an employee's picture
  return '0';
}

function fiqaResult(random: Random): { fiqa_result?: boolean } {
  if (random.chance(0.3)) return {};
  return { fiqa_result: random.chance(0.85) };
}

/** Attribute detection is off by default on boxes: often no info, or info with empty values. */
function faceInfo(random: Random): { info?: Record<string, unknown> } {
  const roll = random.next();
  if (roll < 0.3) return {};
  if (roll < 0.45) return { info: { age: '', gender: '', glasses: '', box: [], feature: [] } };
  const x = random.int(0, 1700);
  const y = random.int(0, 860);
  const size = random.int(80, 220);
  return {
    info: {
      age: random.pick(AGES),
      gender: random.pick(['male', 'female']),
      glasses: random.pick(['yes', 'no']),
      box: [x, y, x + size, y + size],
      feature: featureVector(random),
    },
  };
}

/** A unit-length 512-number feature, printed as boxes print floats (about 8 significant digits). */
function featureVector(random: Random): number[] {
  const values = Array.from({ length: FEATURE_LENGTH }, () => random.next() - 0.5);
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return values.map((v) => Math.round((v / norm) * 1e8) / 1e8);
}

type PictureSet = 'none' | 'face-and-scene' | 'all';

function pictureSet(profile: EventProfile, random: Random): PictureSet {
  if (profile === 'small') return 'none';
  if (profile === 'full') return 'all';
  return random.weighted([
    ['all', 40],
    ['face-and-scene', 35],
    ['none', 25],
  ] as const);
}

function addPictures(event: DeviceEvent, set: PictureSet, pool: PicturePool | undefined, random: Random): void {
  if (set === 'none' || !pool) return;
  const ext = event['ext_data'] as Record<string, unknown>;
  ext['spot_pic'] = pool.base64('scene', random);
  ext['recognize_face'] = pool.base64('face', random);
  if (set === 'all') {
    ext['ir_pic'] = pool.base64('ir', random);
    event['reg_pic'] = pool.base64('registered', random);
  } else {
    event['reg_pic'] = ''; // as a box configured to leave the registered picture out sends it
  }
}

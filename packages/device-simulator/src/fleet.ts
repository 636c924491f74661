import { createHash } from 'node:crypto';
import type { SimulatedDevice } from './devices.js';
import { createRandom } from './random.js';

/**
 * The firmware dialects a box may speak, as @sophon/event-contract's SOURCE_FORMATS names them
 * (the generator tests check each one is detected as itself). V5R3C01 is the seed's.
 */
export const FIRMWARES = ['V5R3C01', 'V2R2C01', 'V5R6C01', 'V6R2C01'] as const;
export type Firmware = (typeof FIRMWARES)[number];

/** A box's status report shape: V6R2C01 boxes send their own, every older firmware the V5R3C01 one. */
export type StatusFormat = 'V5R3C01' | 'V6R2C01';
export const statusFormatOf = (firmware: Firmware): StatusFormat => (firmware === 'V6R2C01' ? 'V6R2C01' : 'V5R3C01');

/**
 * One firmware per box, as in a real mixed fleet: the formats dealt in turn (so every format has a
 * box once there are as many boxes as formats) and then shuffled by the seed, with a generator of
 * its own so the events drawn afterwards do not depend on the fleet's make-up.
 */
export function assignFirmware(devices: SimulatedDevice[], formats: readonly Firmware[], seed: number): SimulatedDevice[] {
  if (formats.length === 0) throw new Error('no formats to assign');
  const dealt = devices.map((_, index) => formats[index % formats.length]!);
  const random = createRandom((seed ^ 0x5f3759df) >>> 0);
  for (let i = dealt.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [dealt[i], dealt[j]] = [dealt[j]!, dealt[i]!];
  }
  return devices.map((device, index) => ({ ...device, firmware: dealt[index] }));
}

/** A capture device (camera, gate) of a box, as its events and its status reports name it. */
export interface Camera {
  /** ext_data.ep_id / ep_info.ep_id / the status report's ep_id (V6R2C01: media_device_id). */
  id: string;
  ip: string;
  url: string;
  name: string;
  /** A uuid of its own (V5R6C01 ep_info.device_id, V5R3C01 ep_location, V6R2C01 permission_id). */
  uuid: string;
  /** The status report's word for it (V6R2C01 media_device_type, V5R6C01 ep_type). */
  typeWord: 'photo' | 'rtsp' | 'card';
}

/** V5R3C01 device_type digits as the flat formats' words: gates and snapshot cameras push photos. */
const TYPE_WORDS: Readonly<Record<string, Camera['typeWord']>> = { '0': 'photo', '1': 'photo', '3': 'rtsp', '4': 'card' };

/**
 * The box's cameras: the one its events come from (at `device.ip`, the address the seed's events
 * already report) and a second video stream that only shows up in status reports, the one that
 * goes offline now and then. Ids follow each firmware's documented form, so an event and its
 * box's status report name the same camera.
 */
export function camerasOf(device: SimulatedDevice): [Camera, Camera] {
  const firmware = device.firmware ?? 'V5R3C01';
  const main = camera(device, firmware, device.ip, TYPE_WORDS[device.deviceType] ?? 'rtsp', 'entrance');
  const [, c, d] = device.ip.split('.').map(Number);
  const second = camera(device, firmware, `172.16.${c}.${d}`, 'rtsp', 'car park');
  return [main, second];
}

function camera(device: SimulatedDevice, firmware: Firmware, ip: string, typeWord: Camera['typeWord'], name: string): Camera {
  const url = typeWord === 'rtsp' ? `rtsp://${ip}:554/ch1` : ip;
  const hex = createHash('sha256').update(`${device.devSno}/${ip}`).digest('hex');
  let id = `${device.devSno}__${ip}`; // V5R3C01 / V2R2C01: "<dev_sno>__<ip>", as documented
  if (firmware === 'V5R6C01') id = `${device.devSno}__${url}`; // the vendor's V5R6C01 example: "<id>__rtsp://…"
  if (firmware === 'V6R2C01') id = hex.slice(0, 32); // like the example's "fb4eb129a3d64f0a81a04a00e36547b1"
  const uuid = `${hex.slice(32, 40)}-${hex.slice(40, 44)}-${hex.slice(44, 48)}-${hex.slice(48, 52)}-${hex.slice(52, 64)}`;
  return { id, ip, url, name, uuid, typeWord };
}

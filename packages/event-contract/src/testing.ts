/**
 * Test fixtures for packages that use the contract (`@sophon/event-contract/testing`): tiny byte
 * strings that pass the image sniffing, and a valid raw HistoryEvent.
 */
import type { ImageType } from './pictures.js';
import type { HistoryEvent } from './history-event/types.js';
import { isPlainObject } from './values.js';

const FORMAT_HEADERS: Readonly<Record<ImageType, readonly number[]>> = {
  jpeg: [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00], // SOI, APP0 "JFIF"
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  // "BM", file size (patched below), reserved, pixel data at 54, BITMAPINFOHEADER (40) for 1×1 24-bit
  bmp: [
    0x42, 0x4d, 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0,
    0, 0, 0, 0, 4, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  // "RIFF", size (patched below), "WEBP", "VP8 "
  webp: [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20],
};
const DEFAULT_IMAGE_BYTES = 64;

/**
 * `sizeBytes` bytes (default 64) that sniff as `type`: the format's header, then filler. Not a
 * decodable image; the pipeline only sniffs. Different sizes give different bytes (and hashes).
 */
export function tinyImage(type: ImageType, sizeBytes = DEFAULT_IMAGE_BYTES): Buffer {
  const header = FORMAT_HEADERS[type];
  if (!Number.isInteger(sizeBytes) || sizeBytes < header.length) {
    throw new RangeError(`tinyImage: a ${type} needs at least ${header.length} bytes, got ${sizeBytes}`);
  }
  const bytes = Buffer.alloc(sizeBytes);
  bytes.set(header);
  for (let i = header.length; i < sizeBytes; i++) bytes[i] = (i * 31 + sizeBytes) & 0xff;
  if (type === 'bmp') bytes.writeUInt32LE(sizeBytes, 2);
  if (type === 'webp') bytes.writeUInt32LE(sizeBytes - 8, 4);
  return bytes;
}

export const SAMPLE_DEV_SNO = '3714be15-09b3-41ec-b9ce-62b668e5fa32';
export const SAMPLE_DEVICE_IP = '192.168.1.101';

/** Nested overrides for sampleHistoryEvent: objects are merged, anything else replaces, `undefined` deletes. */
export type SampleOverrides = { [field: string]: unknown };

/**
 * A valid HistoryEvent as a device sends it, with all four pictures as base64 (JPEG, PNG for the
 * infrared picture). The type describes the default; overrides may turn it into anything.
 */
export function sampleHistoryEvent(overrides: SampleOverrides = {}): HistoryEvent {
  const event: HistoryEvent = {
    identity_id: '13435454',
    identity_name: 'Tom',
    group_name: 'default_group',
    reg_pic: tinyImage('jpeg', 96).toString('base64'),
    timestamp: 1565771454932,
    score: 0.23,
    want_action: '0',
    ext_data: {
      device_ip: SAMPLE_DEVICE_IP,
      ep_id: `${SAMPLE_DEV_SNO}__${SAMPLE_DEVICE_IP}`,
      dev_sno: SAMPLE_DEV_SNO,
      spot_pic: tinyImage('jpeg', 256).toString('base64'),
      ir_pic: tinyImage('png', 80).toString('base64'),
      recognize_face: tinyImage('jpeg', 128).toString('base64'),
      person_type: 1,
      device_type: '0',
      fiqa_result: true,
      info: { age: 'youth', gender: 'male', glasses: 'no', box: [100, 120, 180, 220] },
    },
  };
  return merge(event, overrides) as HistoryEvent;
}

function merge(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [field, value] of Object.entries(overrides)) {
    const current = merged[field];
    if (value === undefined) delete merged[field];
    else if (isPlainObject(value) && isPlainObject(current)) merged[field] = merge(current, value);
    else merged[field] = value;
  }
  return merged;
}

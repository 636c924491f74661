import { decodeStrictBase64 } from '../base64.js';
import { describeValue } from '../values.js';
import { MAX_FEATURE_LENGTH } from './schema.js';

const FLOAT32_BYTES = 4;

export type FeatureResult = { ok: true; feature: number[] } | { ok: false; message: string };

/**
 * A face feature sent as base64 of little-endian float32 values (`feature_binary` on V5R6C01,
 * `feature_base64_str` / `feature_binary` on V6R2C01; 512 floats = 2048 bytes) as the number list
 * older firmware sends in `feature`. Float32 -> number is exact, so the three encodings of one
 * vector give the same numbers. The size is checked before anything is decoded.
 */
export function decodeFeatureBase64(value: unknown): FeatureResult {
  if (typeof value !== 'string') return { ok: false, message: `must be a base64 string of little-endian float32 values (got ${describeValue(value)})` };
  const decoded = decodeStrictBase64(value, MAX_FEATURE_LENGTH * FLOAT32_BYTES);
  if (!decoded.ok) return decoded;
  const { bytes } = decoded;
  if (bytes.length % FLOAT32_BYTES !== 0) {
    return { ok: false, message: `must hold whole float32 values (got ${bytes.length} bytes, not a multiple of ${FLOAT32_BYTES})` };
  }
  const feature: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += FLOAT32_BYTES) {
    const number = bytes.readFloatLE(offset);
    // JSON has no NaN/Infinity: they would silently become null downstream.
    if (!Number.isFinite(number)) return { ok: false, message: `holds a value that is not a finite number at float ${offset / FLOAT32_BYTES}` };
    feature.push(number);
  }
  return { ok: true, feature };
}

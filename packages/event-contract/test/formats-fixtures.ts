import { readFileSync } from 'node:fs';
import { SOURCE_FORMATS, type SourceFormat } from '../src/index.js';
import { b64, JPEG } from './fixtures.js';

/** A vendor page's example as JSON (see vendor-examples/README.md), fresh on every call. */
export function vendorExample(format: Exclude<SourceFormat, 'V5R3C01'>): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`./vendor-examples/${format}-history-event.json`, import.meta.url), 'utf8'));
}

export const ALL_FORMATS = SOURCE_FORMATS;

/** 512 values exactly representable as float32, so every encoding must give back these numbers. */
export const FEATURE_512: number[] = Array.from({ length: 512 }, (_, i) => Math.fround(Math.sin(i + 1) * (i % 7 === 0 ? 3.5 : 0.25)));
export const featureBase64 = (feature: readonly number[]): string => Buffer.from(new Float32Array(feature).buffer).toString('base64');

/** A valid V5R6C01 body with a device serial of its own; `overrides` replace top-level fields. */
export function v5r6(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    ...vendorExample('V5R6C01'),
    dev_sno: 'BOX-56',
    spot_pic: b64(JPEG),
    ...overrides,
  };
}

/** A valid V6R2C01 body with real (tiny) pictures and a 512-float feature. */
export function v6r2(overrides: Record<string, unknown> = {}): Record<string, any> {
  const raw = vendorExample('V6R2C01');
  for (const field of ['recognize_face_image', 'spot_image', 'reg_image']) raw[field] = b64(JPEG);
  raw['recognize_face_attr']['feature_base64_str'] = featureBase64(FEATURE_512);
  return { ...raw, ...overrides };
}

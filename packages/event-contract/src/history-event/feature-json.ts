import type { ParsedUpload } from '../adapter.js';
import { isPlainObject } from '../values.js';
import { MAX_FEATURE_LENGTH } from './schema.js';

const FEATURE_KEY = '"feature"';
const NUMBER = String.raw`-?(?:0|[1-9]\d{0,20})(?:\.\d+)?(?:[eE][+-]?\d{1,2})?`;
const FEATURE_NUMBERS = new RegExp(String.raw`^\[(?:${NUMBER}(?:,${NUMBER}){0,${MAX_FEATURE_LENGTH - 1}})?\]$`);

/**
 * The one face feature vector of a JSON text, set aside as its text. A 512-number vector is most of
 * a small event, and parsing it into doubles, then writing them back as text, most of the cost of
 * reading or publishing one; where the text stays text, both are left out. Its place must be beyond
 * doubt: the text holds `"feature"` once, followed by `:[`, and no `\u` escape (so no other key can
 * parse to "feature"); the array is at most MAX_FEATURE_LENGTH JSON numbers, each finite (at most 21
 * integer digits and a 2-digit exponent, as JSON.stringify writes any float32), without spaces.
 * Callers check, once the rest is parsed, that the empty array in its place is where they expect it.
 */
export function featureSetAside(text: string): { rest: string; featureJson: string } | undefined {
  const at = text.indexOf(FEATURE_KEY);
  if (at < 0 || text.includes(FEATURE_KEY, at + 1) || text.includes('\\u')) return undefined;
  const start = at + FEATURE_KEY.length + 1;
  if (text[start - 1] !== ':' || text[start] !== '[') return undefined;
  const end = text.indexOf(']', start) + 1; // an array of numbers holds no other bracket
  const featureJson = text.slice(start, end);
  if (end === 0 || !FEATURE_NUMBERS.test(featureJson)) return undefined;
  return { rest: `${text.slice(0, start)}[]${text.slice(end)}`, featureJson };
}

/**
 * JSON.parse of a HistoryEvent upload, for the gateway: a single event's `ext_data.info.feature`
 * (the format of the seed firmware and its kin) stays text, `featureJson`, with an empty array in
 * its place in `value`; the adapter publishes that text as the message's feature (see
 * encodeHistoryEventMessage). Anything else (a batch, a feature elsewhere or not beyond doubt, an
 * empty one) is parsed whole. Throws what JSON.parse of the whole text throws.
 */
export function parseUploadKeepingFeatureJson(text: string): ParsedUpload {
  const aside = startsWithObject(text) ? featureSetAside(text) : undefined;
  if (aside !== undefined && aside.featureJson !== '[]') {
    let value: unknown;
    try {
      value = JSON.parse(aside.rest);
    } catch {
      value = undefined; // the whole text's parse below says what is wrong with it
    }
    const feature = infoOf(value)?.['feature'];
    if (Array.isArray(feature) && feature.length === 0) return { value, featureJson: aside.featureJson };
  }
  return { value: JSON.parse(text) };
}

/** `value` (as parseUploadKeepingFeatureJson gave it) with its feature back in place, as the box sent it. */
export function withFeatureRestored(value: unknown, featureJson: string): unknown {
  const info = infoOf(value);
  if (info !== undefined) info['feature'] = JSON.parse(featureJson);
  return value;
}

function startsWithObject(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char !== 0x20 && char !== 0x09 && char !== 0x0a && char !== 0x0d) return char === 0x7b; // {
  }
  return false;
}

function infoOf(value: unknown): Record<string, unknown> | undefined {
  const ext = isPlainObject(value) ? value['ext_data'] : undefined;
  const info = isPlainObject(ext) ? ext['info'] : undefined;
  return isPlainObject(info) ? info : undefined;
}

import type { ParsedUpload } from '../adapter.js';
import { isPlainObject } from '../values.js';
import { MAX_FEATURE_LENGTH } from './schema.js';

const FEATURE_KEY = '"feature"';
// The fraction's digits are bounded by fractionsAtMost, not here: `\d{1,24}` made this test 3x slower
// (~30 µs more per 512-number vector, at the gateway and again in the analytics writer).
const NUMBER = String.raw`-?(?:0|[1-9]\d{0,20})(?:\.\d+)?(?:[eE][+-]?\d{1,2})?`;
const FEATURE_NUMBERS = new RegExp(String.raw`^\[(?:${NUMBER}(?:,${NUMBER}){0,${MAX_FEATURE_LENGTH - 1}})?\]$`);
const MAX_FRACTION_DIGITS = 24;

/**
 * 'bounded': the fraction-digit bound below is checked, where a text enters (the gateway).
 * 'published': a history-events message, whose text the gateway kept only once bounded (or wrote
 * with JSON.stringify): the bound is not checked again (~12 µs a vector, a tenth of the analytics
 * writer's CPU). Accepting and refusing do not depend on it, only which path the vector takes.
 */
export type FractionCheck = 'bounded' | 'published';

/**
 * The one face feature vector of a JSON text (UTF-8 bytes), set aside as its text. A 512-number
 * vector is most of a small event, and parsing it into doubles, then writing them back as text, most
 * of the cost of reading or publishing one; where the text stays text, both are left out. Its place
 * must be beyond doubt: the text holds `"feature"` once, followed by `:[`, and no `\u` escape (so no
 * other key can parse to "feature"); the array is at most MAX_FEATURE_LENGTH JSON numbers, each
 * finite and short (at most 21 integer digits, 24 fraction digits unless `fractions` says the
 * gateway checked them, and a 2-digit exponent: whatever JSON.stringify writes for a double, while
 * a number of thousands of digits, which ClickHouse's float parsers may read differently, takes the
 * plain path and is written back by JSON.stringify), without spaces. Callers check, once the rest
 * is parsed, that the empty array in its place is where they expect it.
 *
 * On the bytes, not on a string: the rest is joined as bytes and decoded once (a string spliced
 * around the vector is a cons string that JSON.parse flattens first: ~0.85 ms for a body with four
 * pictures). UTF-8 never has an ASCII byte inside a multi-byte character, so the byte searches find
 * exactly what a string search would. Texts over MAX_SET_ASIDE_BYTES are left whole: there the
 * pictures are the cost, and copying them to join the rest cost as much as the vector saved
 * (~0.1 ms; measured on 0.6 MB bodies, the gateway was no faster, at times slower).
 */
export function featureSetAside(bytes: Buffer, fractions: FractionCheck = 'bounded'): { rest: string; featureJson: string } | undefined {
  if (bytes.length > MAX_SET_ASIDE_BYTES) return undefined;
  const at = bytes.indexOf(FEATURE_KEY);
  if (at < 0 || bytes.indexOf(FEATURE_KEY, at + 1) >= 0 || bytes.indexOf(UNICODE_ESCAPE) >= 0) return undefined;
  const start = at + FEATURE_KEY.length + 1;
  if (bytes[start - 1] !== COLON || bytes[start] !== OPEN_BRACKET) return undefined;
  const end = bytes.indexOf(CLOSE_BRACKET, start) + 1; // an array of numbers holds no other bracket
  if (end === 0) return undefined;
  const featureJson = bytes.toString('latin1', start, end); // ASCII if it is numbers, checked next
  if (!FEATURE_NUMBERS.test(featureJson)) return undefined;
  if (fractions === 'bounded' && !fractionsAtMost(featureJson, MAX_FRACTION_DIGITS)) return undefined;
  return { rest: Buffer.concat([bytes.subarray(0, start), EMPTY_ARRAY, bytes.subarray(end)]).toString('utf8'), featureJson };
}

/**
 * No number of `numbers` (JSON numbers separated by commas, checked by FEATURE_NUMBERS) has more
 * than `max` fraction digits. From each point, the next comma bounds the rest of its number: only
 * a number longer than `max` past its point has its digits counted.
 */
function fractionsAtMost(numbers: string, max: number): boolean {
  for (let dot = numbers.indexOf('.'); dot >= 0; dot = numbers.indexOf('.', dot + 1)) {
    let end = numbers.indexOf(',', dot);
    if (end < 0) end = numbers.length - 1; // the closing bracket
    if (end - dot - 1 <= max) continue;
    let digit = dot + 1;
    while (digit < end && numbers.charCodeAt(digit) >= 0x30 && numbers.charCodeAt(digit) <= 0x39) digit++;
    if (digit - dot - 1 > max) return false;
  }
  return true;
}

/** Well above an event without pictures (~3-10 KB) or a history-events message. */
const MAX_SET_ASIDE_BYTES = 128 * 1024;
const UNICODE_ESCAPE = '\\u';
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const EMPTY_ARRAY = Buffer.from('[]');

/**
 * JSON.parse of a HistoryEvent upload (UTF-8 bytes, no BOM), for the gateway: a single event's
 * `ext_data.info.feature` (the format of the seed firmware and its kin) stays text, `featureJson`,
 * with an empty array in its place in `value`; the adapter publishes that text as the message's
 * feature (see encodeHistoryEventMessage). Anything else (a batch, a feature elsewhere or not
 * beyond doubt, an empty one) is parsed whole. Throws what JSON.parse of the whole text throws.
 */
export function parseUploadKeepingFeatureJson(bytes: Buffer): ParsedUpload {
  const aside = startsWithObject(bytes) ? featureSetAside(bytes) : undefined;
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
  return { value: JSON.parse(bytes.toString('utf8')) };
}

/** `value` (as parseUploadKeepingFeatureJson gave it) with its feature back in place, as the box sent it. */
export function withFeatureRestored(value: unknown, featureJson: string): unknown {
  const info = infoOf(value);
  if (info !== undefined) info['feature'] = JSON.parse(featureJson);
  return value;
}

function startsWithObject(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte === 0x7b; // {
  return false;
}

function infoOf(value: unknown): Record<string, unknown> | undefined {
  const ext = isPlainObject(value) ? value['ext_data'] : undefined;
  const info = isPlainObject(ext) ? ext['info'] : undefined;
  return isPlainObject(info) ? info : undefined;
}

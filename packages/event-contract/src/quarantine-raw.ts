import { createHash } from 'node:crypto';
import { decodeStrictBase64 } from './base64.js';
import { IMAGE_TYPES, sniffImageType } from './pictures.js';

/** Strings longer than this (pictures, above all) are kept as a summary, not as text. */
export const MAX_KEPT_STRING_CHARS = 256;
/** Beyond this nesting the rest of a value is summarised (bodies are depth-checked before; this is a backstop). */
const MAX_DEPTH = 64;
const HEAD_CHARS = 64;

/** What replaces a long string in a quarantined event: enough to recognise and match it, not the bytes. */
export type OmittedValue =
  | { omitted: 'base64'; bytes: number; sha256: string; content_type: string | null }
  | { omitted: 'text'; chars: number; sha256: string; head: string }
  | { omitted: 'nesting'; depth: number };

/**
 * A copy of `raw` small enough to keep in quarantine: every string over MAX_KEPT_STRING_CHARS is
 * replaced by its summary. A base64 picture becomes its decoded size, SHA-256 (the hash the image
 * store would have used) and sniffed content type; other long text its length, SHA-256 and first
 * characters. Structure, keys and short values are kept as sent, so the errors' pointers still apply.
 */
export function summariseRaw(raw: unknown, depth = 0): unknown {
  if (typeof raw === 'string') return raw.length > MAX_KEPT_STRING_CHARS ? summariseString(raw) : raw;
  if (raw === null || typeof raw !== 'object') return raw;
  if (depth >= MAX_DEPTH) return { omitted: 'nesting', depth } satisfies OmittedValue;
  if (Array.isArray(raw)) return raw.map((item) => summariseRaw(item, depth + 1));
  // fromEntries defines own properties: a "__proto__" key stays data, never a prototype.
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, summariseRaw(value, depth + 1)]));
}

export function summariseString(text: string): OmittedValue {
  const decoded = decodeStrictBase64(text, Number.MAX_SAFE_INTEGER);
  if (decoded.ok) {
    const type = sniffImageType(decoded.bytes);
    return { omitted: 'base64', bytes: decoded.bytes.length, sha256: sha256(decoded.bytes), content_type: type ? IMAGE_TYPES[type].contentType : null };
  }
  return { omitted: 'text', chars: text.length, sha256: sha256(Buffer.from(text, 'utf8')), head: text.slice(0, HEAD_CHARS) };
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

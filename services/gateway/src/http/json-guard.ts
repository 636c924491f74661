/** Keys that could reach an object's prototype if the payload were ever merged into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Keys one object may have. An event has a few dozen; a body of a million keys in one object cost
 * seconds of normalising and quarantining, the gateway answering nobody else meanwhile.
 */
export const MAX_OBJECT_KEYS = 1000;

/** A container still to look into; its pointer is only spelled out when a problem is found. */
interface Pending {
  value: object;
  depth: number;
  parent: Pending | undefined;
  key: string;
}

/**
 * Walks parsed JSON without recursion (a hostile body cannot blow the stack) and returns
 * the first problem: nesting deeper than maxDepth, an object with more than MAX_OBJECT_KEYS keys
 * or a forbidden key, with its JSON pointer.
 * Only objects and arrays are queued, and pointers are built only for the problem found: an
 * event's 512-number feature vector costs a loop, not 512 strings.
 */
export function findUnsafeJson(root: unknown, maxDepth: number): { pointer: string; message: string } | undefined {
  if (root === null || typeof root !== 'object') return undefined;
  const stack: Pending[] = [{ value: root, depth: 0, parent: undefined, key: '' }];
  while (stack.length) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (depth >= maxDepth) return { pointer: pointerOf(entry), message: `nesting is deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1, parent: entry, key: String(i) });
      }
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > MAX_OBJECT_KEYS) return { pointer: pointerOf(entry), message: `has ${keys.length} keys, more than the ${MAX_OBJECT_KEYS} an object may have` };
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) return { pointer: pointerOf({ value, depth: depth + 1, parent: entry, key }), message: `the key "${key}" is not allowed` };
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1, parent: entry, key });
    }
  }
  return undefined;
}

function pointerOf(entry: Pending): string {
  const keys: string[] = [];
  for (let at: Pending | undefined = entry; at?.parent; at = at.parent) keys.push(at.key.replace(/~/g, '~0').replace(/\//g, '~1'));
  return keys.reverse().map((key) => `/${key}`).join('');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The byte offset where the nesting of JSON text first goes deeper than maxDepth, or -1: one
 * pass over the raw bytes counting [ and { outside strings, so a body of nothing but "[[[[" is
 * refused before JSON.parse spends seconds on it. Counts as findUnsafeJson does (the root is
 * level 1). Multi-byte UTF-8 never contains these ASCII bytes; malformed text is left to JSON.parse.
 * Strings are skipped with a native search for their closing quote: pictures are most of a body,
 * and a JavaScript loop over their base64 cost more than parsing the whole body.
 */
export function findDeepNesting(bytes: Uint8Array, maxDepth: number): number {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (atMostOpenings(buffer, maxDepth)) return -1;
  let depth = 0;
  for (let i = 0; i < buffer.length; i++) {
    const byte = buffer[i]!;
    if (byte === QUOTE) {
      i = closingQuote(buffer, i);
      if (i < 0) return -1; // unterminated: JSON.parse refuses it
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return i;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return -1;
}

/**
 * True when the text holds at most `limit` [ and { in all (inside strings too): it cannot nest
 * deeper than that. Native searches, one per bracket: a single event has a dozen or so, and the
 * byte loop above cost ~4 % of a small event's CPU on the digits of its feature vector.
 */
function atMostOpenings(buffer: Buffer, limit: number): boolean {
  let count = 0;
  for (const opening of [OPEN_BRACKET, OPEN_BRACE]) {
    for (let at = buffer.indexOf(opening); at >= 0; at = buffer.indexOf(opening, at + 1)) if (++count > limit) return false;
  }
  return true;
}

/** The offset of the quote that ends the string opened at `open` (the first not escaped by an odd run of backslashes), or -1. */
function closingQuote(buffer: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = buffer.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    while (buffer[at - 1 - backslashes] === BACKSLASH && at - 1 - backslashes > open) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDeepNesting } from '../src/http/json-guard.js';

/** The plain definition: every byte in turn, strings tracked with their escapes. */
function referenceDeepNesting(bytes: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return -1;
}

/** Random JSON-ish text rich in what the scan must get right: brackets inside strings, escaped quotes and backslashes. */
function randomText(seed: number): string {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pieces = ['[', ']', '{', '}', '"', '\\"', '\\\\', '\\\\"', 'a', '1', ',', ':', ' ', '"[{"', '"\\\\"'];
  let text = '';
  const length = 1 + Math.floor(random() * 60);
  for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

test('findDeepNesting agrees with the byte-by-byte definition on random text', () => {
  for (let seed = 1; seed <= 5000; seed++) {
    const bytes = Buffer.from(randomText(seed));
    for (const maxDepth of [1, 2, 3]) {
      assert.equal(findDeepNesting(bytes, maxDepth), referenceDeepNesting(bytes, maxDepth), `seed ${seed}, max depth ${maxDepth}: ${bytes.toString()}`);
    }
  }
});

test('findDeepNesting ignores brackets inside strings, also after escaped quotes and backslashes', () => {
  assert.equal(findDeepNesting(Buffer.from('{"a":"[[[[\\"[[[[","b":"\\\\"}'), 2), -1);
  // The string is one escaped backslash; its quote closes it, so the brackets after it count.
  assert.equal(findDeepNesting(Buffer.from('{"a":"\\\\",[[[1]]]}'), 3), 12);
  assert.equal(findDeepNesting(Buffer.from('[[[['), 3), 3);
  assert.equal(findDeepNesting(new Uint8Array(Buffer.from('{"x":[[1]]}')), 2), 6);
  // A picture-sized string is skipped whole.
  assert.equal(findDeepNesting(Buffer.from(`{"p":"${'A'.repeat(500_000)}","q":[[1]]}`), 2), 500_013);
});

test('findDeepNesting: a text with at most maxDepth [ and { cannot be too deep; one more, nested, is found where it opens', () => {
  const nested = (levels: number) => Buffer.from(`${'['.repeat(levels)}1${']'.repeat(levels)}`);
  assert.equal(findDeepNesting(nested(32), 32), -1);
  assert.equal(findDeepNesting(nested(33), 32), 32);
  // Many brackets side by side (a batch of events): the byte scan decides, and finds no depth beyond 2.
  const wide = Buffer.from(`[${'{"a":[1]},'.repeat(40)}{}]`);
  assert.equal(findDeepNesting(wide, 3), -1);
  assert.equal(findDeepNesting(wide, 2), referenceDeepNesting(wide, 2));
  assert.notEqual(referenceDeepNesting(wide, 2), -1);
});

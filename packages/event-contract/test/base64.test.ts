import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeCarefully, decodeStrictBase64 } from '../src/base64.js';

/** Valid base64 of random bytes, then a few random edits with characters a broken picture may carry. */
function mutatedBase64(seed: number): string {
  let state = seed;
  const random = (n: number) => Math.floor(((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
  let text = randomBytes(random(40)).toString('base64');
  if (random(3) === 0) text = text.replace(/=+$/, '');
  const alphabet = ['-', '_', '=', '==', ' ', '\n', '\r\n', '*', 'é', 'A', '+', '/', '.', '\t'];
  for (let edits = random(3); edits > 0; edits--) {
    const at = random(text.length + 1);
    switch (random(3)) {
      case 0:
        text = text.slice(0, at) + alphabet[random(alphabet.length)] + text.slice(at);
        break;
      case 1:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      default:
        text = text.slice(0, at);
    }
  }
  return text;
}

test('the fast path decides exactly as the careful one: same bytes when valid, the careful message when not', () => {
  let valid = 0;
  for (let seed = 1; seed <= 20_000; seed++) {
    const text = mutatedBase64(seed);
    const fast = decodeStrictBase64(text, 1_000);
    const careful = decodeCarefully(text, 0, 1_000);
    assert.deepEqual(fast, careful, `seed ${seed}: ${JSON.stringify(text)}`);
    if (careful.ok) valid++;
  }
  // Both outcomes were exercised many times.
  assert.ok(valid > 2_000 && valid < 18_000, `${valid} valid of 20000`);
});

test('the size limit holds on the fast path, and a data-URI prefix in either case is accepted', () => {
  const text = randomBytes(300).toString('base64');
  assert.deepEqual(decodeStrictBase64(text, 299), { ok: false, message: 'is 300 bytes, more than the limit of 299 bytes' });
  assert.equal(decodeStrictBase64(text, 300).ok, true);
  for (const prefix of ['data:image/jpeg;base64,', 'DATA:image/png;base64,']) {
    const result = decodeStrictBase64(prefix + text, 300);
    assert.ok(result.ok && result.bytes.equals(Buffer.from(text, 'base64')));
  }
  assert.match(JSON.stringify(decodeStrictBase64(`ab-${text}`, 1000)), /invalid character \\"-\\" at offset 2/);
});

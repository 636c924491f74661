import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keySafeDevSno, objectKeyFor } from '../src/index.js';

const EVENT_ID = '0123456789abcdef0123456789abcdef';

describe('objectKeyFor', () => {
  it('is yyyy/mm/dd/dev_sno/event_id/kind.ext with the UTC date of the event', () => {
    const timestamp = Date.UTC(2019, 7, 14, 23, 59, 59, 999);
    assert.equal(objectKeyFor({ devSno: 'BOX1', eventId: EVENT_ID, timestamp, kind: 'spot_pic', imageType: 'jpeg' }), `2019/08/14/BOX1/${EVENT_ID}/spot_pic.jpg`);
    assert.equal(
      objectKeyFor({ devSno: 'BOX1', eventId: EVENT_ID, timestamp: timestamp + 1, kind: 'spot_pic', imageType: 'jpeg' }),
      `2019/08/15/BOX1/${EVENT_ID}/spot_pic.jpg`,
    );
  });

  it('uses the extension of the image type', () => {
    const key = (imageType: 'jpeg' | 'png' | 'bmp' | 'webp') =>
      objectKeyFor({ devSno: 'B', eventId: EVENT_ID, timestamp: Date.UTC(2024, 0, 2), kind: 'ir_pic', imageType });
    assert.deepEqual(
      [key('jpeg'), key('png'), key('bmp'), key('webp')].map((k) => k.split('/').at(-1)),
      ['ir_pic.jpg', 'ir_pic.png', 'ir_pic.bmp', 'ir_pic.webp'],
    );
  });

  it('refuses an invalid timestamp', () => {
    assert.throws(() => objectKeyFor({ devSno: 'B', eventId: EVENT_ID, timestamp: Number.NaN, kind: 'reg_pic', imageType: 'png' }), RangeError);
  });
});

describe('keySafeDevSno', () => {
  it('keeps safe serials as they are', () => {
    assert.equal(keySafeDevSno('3714be15-09b3-41ec-b9ce-62b668e5fa32'), '3714be15-09b3-41ec-b9ce-62b668e5fa32');
    assert.equal(keySafeDevSno('AKOPKKKKK_v1.2'), 'AKOPKKKKK_v1.2');
  });

  it('replaces unsafe characters and adds a hash, so serials that look alike stay apart', () => {
    const slash = keySafeDevSno('a/b');
    const space = keySafeDevSno('a b');
    assert.match(slash, /^a_b--[0-9a-f]{16}$/);
    assert.match(space, /^a_b--[0-9a-f]{16}$/);
    assert.notEqual(slash, space);
    assert.notEqual(slash, keySafeDevSno('a_b'));
  });

  it('never produces a path traversal segment', () => {
    assert.match(keySafeDevSno('..'), /^\.\.--[0-9a-f]{16}$/);
    assert.match(keySafeDevSno('../../etc'), /^\.\._\.\._etc--[0-9a-f]{16}$/);
  });

  it('caps the length', () => {
    const long = keySafeDevSno('x'.repeat(128));
    assert.equal(long.length, 64 + 2 + 16);
    assert.notEqual(long, keySafeDevSno('x'.repeat(127)));
  });

  it('hashes a safe serial that ends like a hashed one, so the two never collide', () => {
    const hashed = keySafeDevSno('a b');
    assert.notEqual(keySafeDevSno(hashed), hashed);
  });
});

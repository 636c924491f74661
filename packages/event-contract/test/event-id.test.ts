import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveEventId } from '../src/index.js';
import { SAMPLE_DEV_SNO, SAMPLE_DEVICE_IP, sampleHistoryEvent, tinyImage, type SampleOverrides } from '../src/testing.js';
import { normalised } from './helpers.js';

const idOf = (overrides: SampleOverrides = {}, receivedAt = 1) => normalised(sampleHistoryEvent(overrides), { receivedAt }).eventId;

describe('event id', () => {
  it('is 32 lowercase hex characters', () => {
    assert.match(idOf(), /^[0-9a-f]{32}$/);
  });

  it('follows the documented derivation', () => {
    const face = tinyImage('jpeg', 128);
    const canonical = JSON.stringify([
      'history-event/v2',
      SAMPLE_DEV_SNO,
      `${SAMPLE_DEV_SNO}__${SAMPLE_DEVICE_IP}`,
      1565771454932,
      '13435454',
      [100, 120, 180, 220],
      createHash('sha256').update(face).digest('hex'),
      0,
    ]);
    assert.equal(idOf(), createHash('sha256').update(canonical).digest('hex').slice(0, 32));
    const { event, pictures } = normalised(sampleHistoryEvent());
    assert.equal(deriveEventId(event, pictures.find((picture) => picture.kind === 'recognize_face')?.sha256), idOf());
  });

  it('is the same when a device re-sends the event, whenever it arrives', () => {
    assert.equal(idOf({}, 1_700_000_000_000), idOf({}, 1_800_000_000_000));
  });

  it('depends on the instant, not on how the timestamp was written', () => {
    assert.equal(idOf({ timestamp: '1565771454.932' }), idOf({ timestamp: 1565771454932 }));
    assert.notEqual(idOf({ timestamp: '1565771454' }), idOf({ timestamp: 1565771454932 }), 'different milliseconds');
  });

  it('ignores score, names, want_action and the other pictures', () => {
    const base = idOf();
    assert.equal(idOf({ score: 97, identity_name: 'Thomas', group_name: 'vip', want_action: '1002' }), base);
    assert.equal(idOf({ reg_pic: '', ext_data: { spot_pic: tinyImage('png', 300).toString('base64') } }), base);
  });

  it('tells apart faces of one frame: identity, box or face crop', () => {
    const base = idOf();
    const others = [
      idOf({ identity_id: '13435455' }),
      idOf({ ext_data: { info: { box: [300, 120, 380, 220] } } }),
      idOf({ ext_data: { recognize_face: tinyImage('jpeg', 129).toString('base64') } }),
    ];
    assert.equal(new Set([base, ...others]).size, 4);
  });

  it('is stable without box and face crop (null in the derivation)', () => {
    const bare = { ext_data: { info: undefined, recognize_face: undefined } };
    assert.equal(idOf(bare), idOf(bare));
    assert.notEqual(idOf(bare), idOf());
  });

  it('tells apart twin faces of one frame (no crop, no box, one identity) by their order in the upload', () => {
    const twin = () => sampleHistoryEvent({ ext_data: { info: undefined, recognize_face: undefined } });
    const upload = () => {
      const sameUpload = new Map<string, number>();
      return [twin(), twin(), sampleHistoryEvent()].map((raw) => normalised(raw, { receivedAt: 1, sameUpload }).eventId);
    };
    const [first, second, other] = upload();
    assert.notEqual(first, second);
    assert.deepEqual(upload(), [first, second, other], 'the same upload re-sent gets the same ids');
    assert.equal(first, idOf({ ext_data: { info: undefined, recognize_face: undefined } }), 'the first twin keeps the id it has when sent alone');
    assert.equal(other, idOf(), 'an event without a twin is not affected');
  });

  it('differs between devices and edge points', () => {
    assert.notEqual(idOf({ ext_data: { dev_sno: 'OTHER' } }), idOf());
    assert.notEqual(idOf({ ext_data: { ep_id: `${SAMPLE_DEV_SNO}__192.168.1.102` } }), idOf());
  });
});

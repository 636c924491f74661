import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePicture, normaliseHistoryEvent, sniffImageType } from '@sophon/event-contract';
import { SAMPLE_DEV_SNO, sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';

describe('@sophon/event-contract/testing', () => {
  it('tinyImage produces bytes of the requested size that sniff as the requested type', () => {
    for (const type of ['jpeg', 'png', 'bmp', 'webp'] as const) {
      const bytes = tinyImage(type, 1000);
      assert.equal(bytes.length, 1000);
      assert.equal(sniffImageType(bytes), type);
      assert.equal(sniffImageType(tinyImage(type)), type, `${type} at the default size`);
    }
  });

  it('tinyImage gives different bytes for different sizes and refuses sizes below the header', () => {
    assert.notDeepEqual(tinyImage('jpeg', 100).subarray(0, 99), tinyImage('jpeg', 99));
    assert.throws(() => tinyImage('bmp', 20), RangeError);
  });

  it('sampleHistoryEvent is a valid event with all four pictures as base64', () => {
    const event = sampleHistoryEvent();
    for (const picture of [event.reg_pic, event.ext_data.spot_pic, event.ext_data.ir_pic, event.ext_data.recognize_face]) {
      assert.ok(decodePicture(picture, { maxPictureBytes: 1024 }).ok);
    }
    const result = normaliseHistoryEvent(event, { receivedAt: 1 }, { maxPictureBytes: 1024 });
    assert.ok(result.ok);
    assert.equal(result.event.ext_data.dev_sno, SAMPLE_DEV_SNO);
    assert.equal(result.pictures.length, 4);
  });

  it('sampleHistoryEvent merges nested overrides, replaces arrays and deletes on undefined', () => {
    const event = sampleHistoryEvent({ score: 99, ext_data: { person_type: 4, info: { box: [1, 2, 3, 4] }, dev_sno: undefined } });
    assert.equal(event.score, 99);
    assert.equal(event.ext_data.person_type, 4);
    assert.equal(event.ext_data.device_type, '0');
    assert.deepEqual(event.ext_data.info, { age: 'youth', gender: 'male', glasses: 'no', box: [1, 2, 3, 4] });
    assert.equal(Object.hasOwn(event.ext_data, 'dev_sno'), false);
  });

  it('sampleHistoryEvent returns a fresh event each time', () => {
    const first = sampleHistoryEvent();
    first.ext_data.person_type = 5;
    assert.equal(sampleHistoryEvent().ext_data.person_type, 1);
  });
});

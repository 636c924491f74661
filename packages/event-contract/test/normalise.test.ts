import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseHistoryEvent, TIMESTAMP_MAX_MS, TIMESTAMP_MIN_MS } from '../src/index.js';
import { SAMPLE_DEV_SNO, SAMPLE_DEVICE_IP, sampleHistoryEvent, tinyImage } from '../src/testing.js';
import { CTX, OPTIONS } from './fixtures.js';
import { failed, normalised } from './helpers.js';

const MS = 1565771454932;

describe('normaliseHistoryEvent: the event as a whole', () => {
  it('accepts the sample event and keeps every non-picture field', () => {
    const { event, pictures } = normalised(sampleHistoryEvent());
    assert.deepEqual(event, {
      identity_id: '13435454',
      identity_name: 'Tom',
      group_name: 'default_group',
      timestamp: MS,
      score: 0.23,
      want_action: '0',
      ext_data: {
        device_ip: SAMPLE_DEVICE_IP,
        ep_id: `${SAMPLE_DEV_SNO}__${SAMPLE_DEVICE_IP}`,
        dev_sno: SAMPLE_DEV_SNO,
        person_type: 1,
        device_type: '0',
        fiqa_result: true,
        info: { age: 'youth', gender: 'male', glasses: 'no', box: [100, 120, 180, 220] },
      },
    });
    assert.deepEqual(
      pictures.map((picture) => picture.kind),
      ['reg_pic', 'spot_pic', 'ir_pic', 'recognize_face'],
    );
  });

  for (const raw of [[sampleHistoryEvent()], 'event', null, 42]) {
    it(`refuses a top level that is not an object (${JSON.stringify(raw)?.slice(0, 20)})`, () => {
      assert.deepEqual(failed(raw).errors, [{ pointer: '', message: 'must be a JSON object (one HistoryEvent)' }]);
    });
  }

  it('does not modify the raw event', () => {
    const raw = sampleHistoryEvent({ timestamp: '1565771454', fiqa_result: 'True', ext_data: { person_type: '4', info: { age: '' } } });
    const before = structuredClone(raw);
    normalised(raw);
    assert.deepEqual(raw, before);
  });

  it('keeps unknown fields at the top level, in ext_data and in info', () => {
    const raw = sampleHistoryEvent({
      firmware: 'V5R3C01',
      ext_data: {
        grab_fiqa_info: { confidence: 90, rect: { top: 420, bottom: 524 } },
        camera_name: 'north gate',
        info: { mask: 'no', landmarks: [[1, 2]] },
      },
    });
    const { event } = normalised(raw);
    assert.equal(event['firmware'], 'V5R3C01');
    assert.deepEqual(event.ext_data['grab_fiqa_info'], { confidence: 90, rect: { top: 420, bottom: 524 } });
    assert.equal(event.ext_data['camera_name'], 'north gate');
    assert.equal(event.ext_data.info?.['mask'], 'no');
    assert.deepEqual(event.ext_data.info?.['landmarks'], [[1, 2]]);
  });

  it('returns schema errors and picture errors together', () => {
    const { errors } = failed(sampleHistoryEvent({ score: 'high', reg_pic: 'not base64!', ext_data: { ir_pic: 'QUJD' } }));
    assert.deepEqual(errors, [
      { pointer: '/score', message: 'must be a number (got "high")' },
      { pointer: '/reg_pic', message: 'is not valid base64 (invalid character "!" at offset 10)' },
      { pointer: '/ext_data/ir_pic', message: 'is not an image: expected JPEG, PNG, BMP or WebP' },
    ]);
  });

  it('reports at most 100 errors plus a count of the rest', () => {
    const { errors } = failed(sampleHistoryEvent({ ext_data: { info: { feature: Array.from({ length: 512 }, () => 'x') } } }));
    assert.equal(errors.length, 101);
    assert.deepEqual(errors[0], { pointer: '/ext_data/info/feature/0', message: 'must be a number (got "x")' });
    assert.deepEqual(errors[100], { pointer: '', message: '412 more errors not shown' });
  });

  it('reports 150 000 schema errors as 100 and a count, without throwing (no spread of them all)', () => {
    const { errors } = failed(sampleHistoryEvent({ ext_data: { info: { feature: Array.from({ length: 150_000 }, () => 'x') } } }));
    assert.equal(errors.length, 101);
    assert.deepEqual(errors[100], { pointer: '', message: '149901 more errors not shown' });
  });
});

describe('normaliseHistoryEvent: timestamp', () => {
  it('turns seconds into milliseconds', () => {
    assert.equal(normalised(sampleHistoryEvent({ timestamp: 1565771454 })).event.timestamp, 1565771454000);
  });

  it('reads numeric strings, with a fraction, as seconds or milliseconds', () => {
    assert.equal(normalised(sampleHistoryEvent({ timestamp: '1565771454.932' })).event.timestamp, MS);
    assert.equal(normalised(sampleHistoryEvent({ timestamp: String(MS) })).event.timestamp, MS);
    assert.equal(normalised(sampleHistoryEvent({ timestamp: ' 1565771454932 ' })).event.timestamp, MS);
  });

  it('rounds to whole milliseconds', () => {
    assert.equal(normalised(sampleHistoryEvent({ timestamp: 1565771454932.6 })).event.timestamp, MS + 1);
    assert.equal(normalised(sampleHistoryEvent({ timestamp: 1565771454.9324 })).event.timestamp, MS);
  });

  it('accepts 2000-01-01 and 2100-01-01 and rejects instants outside', () => {
    assert.equal(normalised(sampleHistoryEvent({ timestamp: TIMESTAMP_MIN_MS })).event.timestamp, Date.UTC(2000, 0, 1));
    assert.equal(normalised(sampleHistoryEvent({ timestamp: TIMESTAMP_MAX_MS })).event.timestamp, Date.UTC(2100, 0, 1));
    const message = 'must be an integer number of milliseconds from 2000-01-01 to 2100-01-01 UTC';
    assert.deepEqual(failed(sampleHistoryEvent({ timestamp: 915148800 })).errors, [
      { pointer: '/timestamp', message: `${message} (got 915148800000)` },
    ]);
    assert.deepEqual(failed(sampleHistoryEvent({ timestamp: TIMESTAMP_MAX_MS + 1 })).errors, [
      { pointer: '/timestamp', message: `${message} (got ${TIMESTAMP_MAX_MS + 1})` },
    ]);
    assert.deepEqual(failed(sampleHistoryEvent({ timestamp: 0 })).errors, [{ pointer: '/timestamp', message: `${message} (got 0)` }]);
  });

  it('leaves what is not a number for the schema to report', () => {
    assert.deepEqual(failed(sampleHistoryEvent({ timestamp: '2019-08-14T08:30:54Z' })).errors, [
      { pointer: '/timestamp', message: 'must be an integer number of milliseconds from 2000-01-01 to 2100-01-01 UTC (got "2019-08-14T08:30:54Z")' },
    ]);
  });
});

describe('normaliseHistoryEvent: score', () => {
  it('reads numeric strings', () => {
    assert.equal(normalised(sampleHistoryEvent({ score: '0.23' })).event.score, 0.23);
  });

  it('keeps the scale as sent (0–1 and 0–100 both occur)', () => {
    assert.equal(normalised(sampleHistoryEvent({ score: 87.5 })).event.score, 87.5);
    assert.equal(normalised(sampleHistoryEvent({ score: 0.16 })).event.score, 0.16);
  });

  it('rejects NaN and Infinity, as text or as an overflowing JSON number', () => {
    for (const score of ['NaN', 'Infinity', '-Infinity']) {
      assert.deepEqual(failed(sampleHistoryEvent({ score })).errors, [{ pointer: '/score', message: `must be a number (got "${score}")` }]);
    }
    const overflow = JSON.parse(JSON.stringify(sampleHistoryEvent()).replace('"score":0.23', '"score":1e400')) as unknown;
    assert.deepEqual(failed(overflow).errors, [{ pointer: '/score', message: 'must be a number (got Infinity)' }]);
  });
});

describe('normaliseHistoryEvent: want_action', () => {
  it('turns the numbers 0, 1001 and 1002 into strings', () => {
    for (const action of [0, 1001, 1002]) {
      assert.equal(normalised(sampleHistoryEvent({ want_action: action })).event.want_action, String(action));
    }
  });

  it('defaults to "0" when missing (old firmware) or null', () => {
    assert.equal(normalised(sampleHistoryEvent({ want_action: undefined })).event.want_action, '0');
    assert.equal(normalised(sampleHistoryEvent({ want_action: null })).event.want_action, '0');
  });

  it('rejects other values with the allowed ones', () => {
    for (const wantAction of ['5', 5, '']) {
      assert.deepEqual(failed(sampleHistoryEvent({ want_action: wantAction })).errors, [
        { pointer: '/want_action', message: `must be one of "0", "1001", "1002" (got ${JSON.stringify(wantAction)})` },
      ]);
    }
  });
});

describe('normaliseHistoryEvent: identity fields', () => {
  it('turns numbers into strings (stranger ids look like "1602612036.3828533")', () => {
    const { event } = normalised(sampleHistoryEvent({ identity_id: 1602612036.3828533, identity_name: 13028, group_name: 7 }));
    assert.equal(event.identity_id, '1602612036.3828533');
    assert.equal(event.identity_name, '13028');
    assert.equal(event.group_name, '7');
  });
});

describe('normaliseHistoryEvent: ext_data.person_type', () => {
  it('reads integer strings', () => {
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { person_type: '4' } })).event.ext_data.person_type, 4);
  });

  it('defaults to 1 (employee) when missing', () => {
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { person_type: undefined } })).event.ext_data.person_type, 1);
  });

  it('rejects non-integers and values outside 1..5', () => {
    for (const personType of [1.5, '2.5', 0, 6, 'stranger']) {
      assert.deepEqual(failed(sampleHistoryEvent({ ext_data: { person_type: personType } })).errors, [
        { pointer: '/ext_data/person_type', message: `must be an integer from 1 to 5 (got ${JSON.stringify(personType)})` },
      ]);
    }
  });
});

describe('normaliseHistoryEvent: ext_data.device_type', () => {
  it('turns numbers into strings', () => {
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { device_type: 3 } })).event.ext_data.device_type, '3');
  });

  it('rejects strings that are not digits', () => {
    assert.deepEqual(failed(sampleHistoryEvent({ ext_data: { device_type: 'gate' } })).errors, [
      { pointer: '/ext_data/device_type', message: 'must be a string of digits (got "gate")' },
    ]);
  });
});

describe('normaliseHistoryEvent: ext_data.dev_sno and ep_id', () => {
  it('derives a missing dev_sno from ep_id (the part before the first "__")', () => {
    const result = normalised(sampleHistoryEvent({ ext_data: { dev_sno: undefined, ep_id: 'AKOPKKKKK__192.168.1.25__x' } }), { ...CTX, boundDevSno: 'OTHER' });
    assert.equal(result.event.ext_data.dev_sno, 'AKOPKKKKK');
    assert.equal(result.event.ext_data.ep_id, 'AKOPKKKKK__192.168.1.25__x');
  });

  it('takes a missing dev_sno from the token binding when ep_id does not give one', () => {
    const bound = { ...CTX, boundDevSno: 'BOUND-1' };
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { dev_sno: undefined, ep_id: undefined } }), bound).event.ext_data.dev_sno, 'BOUND-1');
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { dev_sno: null, ep_id: '__192.168.1.25' } }), bound).event.ext_data.dev_sno, 'BOUND-1');
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { dev_sno: undefined, ep_id: 'no-separator' } }), bound).event.ext_data.dev_sno, 'BOUND-1');
  });

  it('treats an empty dev_sno or ep_id as missing', () => {
    const { event } = normalised(sampleHistoryEvent({ ext_data: { dev_sno: '', ep_id: 'BOX7__10.0.0.7' } }));
    assert.equal(event.ext_data.dev_sno, 'BOX7');
    assert.equal(normalised(sampleHistoryEvent({ ext_data: { ep_id: '' } })).event.ext_data.ep_id, `${SAMPLE_DEV_SNO}__${SAMPLE_DEVICE_IP}`);
  });

  it('keeps a dev_sno that was sent, even when the token is bound to another device (the gateway decides)', () => {
    assert.equal(normalised(sampleHistoryEvent(), { ...CTX, boundDevSno: 'OTHER' }).event.ext_data.dev_sno, SAMPLE_DEV_SNO);
  });

  it('derives a missing ep_id as `${dev_sno}__${device_ip}`', () => {
    const { event } = normalised(sampleHistoryEvent({ ext_data: { ep_id: undefined, dev_sno: 'BOX7', device_ip: '10.0.0.7' } }));
    assert.equal(event.ext_data.ep_id, 'BOX7__10.0.0.7');
  });

  it('requires dev_sno and ep_id when neither can be derived', () => {
    const { errors, devSno } = failed(sampleHistoryEvent({ ext_data: { dev_sno: undefined, ep_id: undefined } }));
    assert.deepEqual(errors, [
      { pointer: '/ext_data/ep_id', message: 'is required' },
      { pointer: '/ext_data/dev_sno', message: 'is required' },
    ]);
    assert.equal(devSno, undefined);
  });

  it('requires ep_id when device_ip is missing', () => {
    assert.deepEqual(failed(sampleHistoryEvent({ ext_data: { ep_id: undefined, device_ip: undefined } })).errors, [
      { pointer: '/ext_data/device_ip', message: 'is required' },
      { pointer: '/ext_data/ep_id', message: 'is required' },
    ]);
  });

  it('returns the dev_sno on failure when it is known, from the event or else the binding', () => {
    assert.equal(failed(sampleHistoryEvent({ score: 'x' })).devSno, SAMPLE_DEV_SNO);
    assert.equal(failed(sampleHistoryEvent({ score: 'x', ext_data: { dev_sno: 42 } }), { ...CTX, boundDevSno: 'BOUND-1' }).devSno, 'BOUND-1');
    assert.equal(failed(sampleHistoryEvent({ ext_data: 'none' }), { ...CTX, boundDevSno: 'BOUND-1' }).devSno, 'BOUND-1');
    assert.equal(failed([], { ...CTX, boundDevSno: 'BOUND-1' }).devSno, 'BOUND-1');
  });
});

describe('normaliseHistoryEvent: fiqa_result', () => {
  const fiqaOf = (overrides: Record<string, unknown>) => normalised(sampleHistoryEvent(overrides)).event.ext_data.fiqa_result;

  it('reads booleans, Python-style strings and 1/0', () => {
    const cases: [unknown, boolean][] = [
      [true, true], [false, false], ['True', true], ['False', false], ['true', true], ['false', false], [1, true], [0, false],
    ];
    for (const [sent, expected] of cases) assert.equal(fiqaOf({ ext_data: { fiqa_result: sent } }), expected, `sent ${JSON.stringify(sent)}`);
  });

  it('falls back to a top-level fiqa_result, leaving the original where it was', () => {
    const { event } = normalised(sampleHistoryEvent({ fiqa_result: 'False', ext_data: { fiqa_result: undefined } }));
    assert.equal(event.ext_data.fiqa_result, false);
    assert.equal(event['fiqa_result'], 'False');
  });

  it('falls back to ext_data.box_fiqa_info.fiqa_result (V2R2C01)', () => {
    const boxFiqaInfo = { fiqa_result: 'True', success: ['face_size'], fails: [] };
    const { event } = normalised(sampleHistoryEvent({ ext_data: { fiqa_result: undefined, box_fiqa_info: boxFiqaInfo } }));
    assert.equal(event.ext_data.fiqa_result, true);
    assert.deepEqual(event.ext_data['box_fiqa_info'], boxFiqaInfo);
  });

  it('prefers ext_data, then the top level, then box_fiqa_info', () => {
    assert.equal(fiqaOf({ fiqa_result: true, ext_data: { fiqa_result: false, box_fiqa_info: { fiqa_result: true } } }), false);
    assert.equal(fiqaOf({ fiqa_result: false, ext_data: { fiqa_result: undefined, box_fiqa_info: { fiqa_result: true } } }), false);
  });

  it('stays absent when sent nowhere, or as null', () => {
    assert.equal(Object.hasOwn(normalised(sampleHistoryEvent({ ext_data: { fiqa_result: undefined } })).event.ext_data, 'fiqa_result'), false);
    assert.equal(Object.hasOwn(normalised(sampleHistoryEvent({ ext_data: { fiqa_result: null } })).event.ext_data, 'fiqa_result'), false);
  });

  it('reports a value that is not a boolean where it was found', () => {
    assert.deepEqual(failed(sampleHistoryEvent({ ext_data: { fiqa_result: 'maybe' } })).errors, [
      { pointer: '/ext_data/fiqa_result', message: 'must be a boolean (got "maybe")' },
    ]);
    assert.deepEqual(failed(sampleHistoryEvent({ ext_data: { fiqa_result: undefined, box_fiqa_info: { fiqa_result: 2 } } })).errors, [
      { pointer: '/ext_data/box_fiqa_info/fiqa_result', message: 'must be a boolean (got 2)' },
    ]);
  });
});

describe('normaliseHistoryEvent: ext_data.info', () => {
  it('drops empty-string and null attributes and empty feature/box lists (not extracted)', () => {
    const { event } = normalised(sampleHistoryEvent({ ext_data: { info: { age: '', gender: null, glasses: '', box: [], feature: [] } } }));
    assert.deepEqual(event.ext_data.info, {});
  });

  it('drops a null info', () => {
    assert.equal(Object.hasOwn(normalised(sampleHistoryEvent({ ext_data: { info: null } })).event.ext_data, 'info'), false);
  });

  it('keeps a filled feature vector', () => {
    const feature = Array.from({ length: 512 }, (_, i) => i / 512);
    assert.deepEqual(normalised(sampleHistoryEvent({ ext_data: { info: { feature } } })).event.ext_data.info?.feature, feature);
  });
});

describe('normaliseHistoryEvent: pictures', () => {
  it('treats "" and null as absent', () => {
    const { pictures, event } = normalised(sampleHistoryEvent({ reg_pic: '', ext_data: { spot_pic: null, ir_pic: '', recognize_face: null } }));
    assert.deepEqual(pictures, []);
    assert.equal(Object.hasOwn(event, 'reg_pic'), false);
  });

  it('removes the pictures from the event and returns their bytes', () => {
    const { pictures, event } = normalised(sampleHistoryEvent());
    for (const field of ['spot_pic', 'ir_pic', 'recognize_face']) assert.equal(Object.hasOwn(event.ext_data, field), false, field);
    assert.equal(Object.hasOwn(event, 'reg_pic'), false);
    const face = pictures.find((picture) => picture.kind === 'recognize_face');
    assert.deepEqual(face?.bytes, tinyImage('jpeg', 128));
    assert.equal(pictures.find((picture) => picture.kind === 'ir_pic')?.contentType, 'image/png');
  });

  it('reports each bad picture at its own pointer', () => {
    const { errors } = failed(sampleHistoryEvent({ reg_pic: 42, ext_data: { spot_pic: 'QUJD', recognize_face: 'a$' } }));
    assert.deepEqual(errors, [
      { pointer: '/reg_pic', message: 'must be a base64-encoded image string (got 42)' },
      { pointer: '/ext_data/spot_pic', message: 'is not an image: expected JPEG, PNG, BMP or WebP' },
      { pointer: '/ext_data/recognize_face', message: 'is not valid base64 (invalid character "$" at offset 1)' },
    ]);
  });

  it('refuses a picture larger than maxPictureBytes, naming pointer, size and limit', () => {
    const result = normaliseHistoryEvent(sampleHistoryEvent({ ext_data: { spot_pic: tinyImage('jpeg', 2049).toString('base64') } }), CTX, {
      maxPictureBytes: 2048,
    });
    assert.deepEqual(result, {
      ok: false,
      errors: [{ pointer: '/ext_data/spot_pic', message: 'is 2049 bytes, more than the limit of 2048 bytes' }],
      devSno: SAMPLE_DEV_SNO,
    });
  });

  it('uses options.maxPictureBytes, not a built-in limit', () => {
    assert.ok(normaliseHistoryEvent(sampleHistoryEvent({ ext_data: { spot_pic: tinyImage('jpeg', 4096).toString('base64') } }), CTX, OPTIONS).ok);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createHistoryEventAdapter,
  decodeFeatureBase64,
  decodeHistoryEventMessage,
  DEFAULT_TOPICS,
  detectFormat,
  normaliseScore,
  type FieldError,
  type ParseContext,
} from '../src/index.js';
import { sampleHistoryEvent } from '../src/testing.js';
import { specExample } from './fixtures.js';
import { FEATURE_512, featureBase64, v5r6, v6r2, vendorExample } from './formats-fixtures.js';

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 64 * 1024 });
const CTX: ParseContext = { receivedAt: 1_700_000_000_000 };

function errorsOf(raw: unknown, ctx: ParseContext = CTX): FieldError[] {
  const result = adapter.parse(raw, ctx);
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? [] : result.errors;
}
const eventId = (raw: unknown, ctx: ParseContext = CTX): string => {
  const result = adapter.parse(raw, ctx);
  assert.ok(result.ok, JSON.stringify(result));
  return result.eventId;
};

describe('format detection', () => {
  it('tells the formats apart by shape', () => {
    const v2r2 = vendorExample('V2R2C01');
    assert.deepEqual(
      [specExample(), v2r2, vendorExample('V5R6C01'), vendorExample('V6R2C01')].map((raw) => detectFormat(raw)),
      ['V5R3C01', 'V2R2C01', 'V5R6C01', 'V6R2C01'].map((format) => ({ ok: true, format })),
    );
  });

  it('a body of no known format names the formats tried and what the closest lacks', () => {
    assert.deepEqual(errorsOf({ identity_id: '1', identity_name: 'x', timestamp: 1602612036150, score: 0.5, want_action: '0', person_type: 1, dev_sno: 'B' }), [
      {
        pointer: '',
        message: 'matches no known event format (tried V5R3C01, V2R2C01, V5R6C01, V6R2C01); the closest, V5R6C01, lacks identity_info, out_timestamp, ep_info',
      },
      { pointer: '/identity_info', message: 'is required' },
      { pointer: '/out_timestamp', message: 'is required' },
      { pointer: '/ep_info', message: 'is required' },
    ]);
    assert.match(errorsOf({})[0]!.message, /the closest, V5R3C01, lacks identity_id, identity_name, group_name, timestamp, score, want_action, ext_data$/);
  });
});

describe('bad inputs per format point at the field as sent', () => {
  it('V5R6C01', () => {
    assert.deepEqual(errorsOf(v5r6({ ep_info: 'cam-1' })), [{ pointer: '/ep_info', message: 'must be an object (got "cam-1")' }]);
    const raw = v5r6({ person_type: 'stranger', score: '94.8x', recognize_face: 42 });
    raw['ep_info'] = { ...raw['ep_info'], ep_type: 'usb', ep_ip: 192 };
    raw['recognize_face_attr'] = { ...raw['recognize_face_attr'], feature_binary: 'AAAAAAA' };
    assert.deepEqual(errorsOf(raw), [
      { pointer: '/ep_info/ep_type', message: 'must be one of "photo", "rtsp", "gb28181", "file", "card" (got "usb")' },
      { pointer: '/recognize_face_attr/feature_binary', message: 'must hold whole float32 values (got 5 bytes, not a multiple of 4)' },
      { pointer: '/score', message: 'must be a number (got "94.8x")' },
      { pointer: '/ep_info/ep_ip', message: 'must be a string (got 192)' },
      { pointer: '/person_type', message: 'must be an integer from 1 to 5 (got "stranger")' },
      { pointer: '/recognize_face', message: 'must be a base64-encoded image string (got 42)' },
    ]);
  });

  it('V5R6C01 without dev_sno, binding or ep_id prefix: dev_sno is required', () => {
    const raw = v5r6({ dev_sno: '' });
    raw['ep_info'] = { ...raw['ep_info'], ep_id: 'rtsp-only' };
    assert.deepEqual(errorsOf(raw), [{ pointer: '/dev_sno', message: 'is required' }]);
  });

  it('V6R2C01', () => {
    const raw = v6r2({ user_type: 4, post_action: 'register', mq_license_key: ['x'], spot_image: 'not base64!' });
    raw['media_device_info'] = { ...raw['media_device_info'], media_device_type: 'ptz', media_device_id: 17 };
    raw['recognize_face_attr'] = { ...raw['recognize_face_attr'], feature_base64_str: '//8=' };
    assert.deepEqual(errorsOf(raw), [
      { pointer: '/media_device_info/media_device_type', message: 'must be one of "photo", "rtsp", "gb28181", "file", "card" (got "ptz")' },
      { pointer: '/media_device_info/media_device_id', message: 'must be a string (got 17)' },
      { pointer: '/user_type', message: 'must be one of "employee", "visitor", "blacklist", "stranger", "vip" (got 4)' },
      { pointer: '/recognize_face_attr/feature_base64_str', message: 'must hold whole float32 values (got 2 bytes, not a multiple of 4)' },
      { pointer: '/post_action', message: 'must be one of "0", "1001", "1002" (got "register")' },
      { pointer: '/mq_license_key', message: 'must be a string (got an array of 1 items)' },
      { pointer: '/spot_image', message: 'is not valid base64 (invalid character "!" at offset 10)' },
    ]);
  });

  it('V6R2C01 missing its device and timestamps', () => {
    assert.deepEqual(errorsOf(v6r2({ media_device_info: undefined, timestamp: undefined })), [
      { pointer: '/timestamp', message: 'is required' },
      { pointer: '/media_device_info/media_device_ip', message: 'is required' },
      { pointer: '/media_device_info/media_device_id', message: 'is required' },
      { pointer: '/media_device_info/media_device_type', message: 'is required' },
    ]);
  });

  it('a feature list that disagrees with the base64 one is refused', () => {
    const raw = v6r2();
    raw['recognize_face_attr'] = { ...raw['recognize_face_attr'], feature: [1, 2, 3] };
    assert.deepEqual(errorsOf(raw), [{ pointer: '/recognize_face_attr/feature', message: 'disagrees with feature_base64_str: send the feature once' }]);
  });
});

describe('decodeFeatureBase64', () => {
  it('refuses NaN/Infinity, wrong types and oversized vectors before decoding', () => {
    assert.deepEqual(decodeFeatureBase64(Buffer.from(new Float32Array([1, Number.NaN]).buffer).toString('base64')), {
      ok: false,
      message: 'holds a value that is not a finite number at float 1',
    });
    assert.equal(decodeFeatureBase64([1, 2]).ok, false);
    assert.match(String((decodeFeatureBase64('A'.repeat(30_000)) as { message: string }).message), /more than the limit of 16384 bytes/);
    assert.deepEqual(decodeFeatureBase64(featureBase64(FEATURE_512)), { ok: true, feature: FEATURE_512 });
  });
});

describe('normaliseScore', () => {
  it('> 1 is a 0–100 score, <= 1 is 0–1, clamped to [0, 1]', () => {
    assert.deepEqual([0, 0.16, 1, 6.58, 94.8, 100, 250, -3].map(normaliseScore), [0, 0.16, 1, 0.0658, 0.948, 1, 1, 0]);
  });
});

describe('event ids across formats', () => {
  it('are deterministic and differ per face (box, face crop or identity) in every format', () => {
    const bodies: [string, (box: number[], identity: string) => unknown][] = [
      ['V5R3C01', (box, identity) => sampleHistoryEvent({ identity_id: identity, ext_data: { info: { box } } })],
      ['V2R2C01', (box, identity) => ({ ...sampleHistoryEvent({ identity_id: identity, ext_data: { info: { box }, box_fiqa_info: { fiqa_result: true } } }), want_action: undefined })],
      ['V5R6C01', (box, identity) => v5r6({ identity_id: identity, recognize_face_attr: { box } })],
      ['V6R2C01', (box, identity) => v6r2({ identity_id: identity, recognize_face_attr: { box } })],
    ];
    for (const [format, body] of bodies) {
      const first = eventId(body([1, 2, 3, 4], 'p1'));
      assert.equal(eventId(body([1, 2, 3, 4], 'p1')), first, `${format} is deterministic`);
      const ids = new Set([first, eventId(body([5, 6, 7, 8], 'p1')), eventId(body([1, 2, 3, 4], 'p2'))]);
      assert.equal(ids.size, 3, `${format}: one id per face`);
    }
    // The id is the canonical event's: the same face sent as V5R3C01 or V2R2C01 is one event.
    assert.equal(eventId(bodies[0]![1]([1, 2, 3, 4], 'p1')), eventId(bodies[1]![1]([1, 2, 3, 4], 'p1')));
  });

  it('twin faces of one upload differ by occurrence in the flat formats too', () => {
    for (const body of [v5r6(), v6r2()]) {
      const sameUpload = new Map<string, number>();
      assert.notEqual(eventId(body, { ...CTX, sameUpload }), eventId(body, { ...CTX, sameUpload }));
    }
  });
});

describe('claimedDevSno understands every format', () => {
  it('reads each format\'s device field, never decoding anything', () => {
    assert.equal(adapter.claimedDevSno(v6r2({ mq_license_key: 'BOX-B' })), 'BOX-B');
    assert.equal(adapter.claimedDevSno(v6r2({ mq_license_key: '' })), undefined);
    assert.equal(adapter.claimedDevSno(v5r6({ dev_sno: 'BOX-B' })), 'BOX-B');
    assert.equal(adapter.claimedDevSno(vendorExample('V5R6C01')), undefined); // "" + undocumented ep_id prefix: the binding decides
    assert.equal(adapter.claimedDevSno({ ...vendorExample('V2R2C01'), ext_data: { ...vendorExample('V2R2C01')['ext_data'], dev_sno: 'BOX-B' } }), 'BOX-B');
    assert.equal(adapter.claimedDevSno({ score: 1 }), undefined);
  });

  it('the settled dev_sno of a bound V5R6C01 body is the binding, so the gateway\'s second check agrees', () => {
    const result = adapter.parse(vendorExample('V5R6C01'), { ...CTX, boundDevSno: 'BOX-A' });
    assert.equal(result.ok && result.devSno, 'BOX-A');
  });
});

describe('history-events message', () => {
  it('a message written before source_format / score_normalised existed still decodes', () => {
    const result = adapter.parse(sampleHistoryEvent(), CTX);
    assert.ok(result.ok);
    const { source_format: _format, score_normalised: _score, ...old } = JSON.parse(result.messages.at(-1)!.value.toString());
    assert.equal(decodeHistoryEventMessage(Buffer.from(JSON.stringify(old))).source_format, undefined);
    assert.throws(() => decodeHistoryEventMessage(Buffer.from(JSON.stringify({ ...old, score_normalised: 94.8 }))), /score_normalised/);
  });
});

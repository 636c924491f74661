import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHistoryEventAdapter, decodeHistoryEventMessage, HEADERS, type ParseContext, type Topics } from '../src/index.js';
import { b64, JPEG, PNG, WEBP } from './fixtures.js';
import { FEATURE_512, featureBase64, v5r6, v6r2, vendorExample } from './formats-fixtures.js';

const TOPICS: Topics = { historyEvents: 'he', eventImages: 'img', quarantine: 'q' };
const adapter = createHistoryEventAdapter({ topics: TOPICS, maxPictureBytes: 64 * 1024 });
const CTX: ParseContext = { receivedAt: 1_700_000_000_000 };

function accepted(raw: unknown, ctx: ParseContext = CTX) {
  const result = adapter.parse(raw, ctx);
  assert.ok(result.ok, JSON.stringify(result));
  const last = result.messages.at(-1)!;
  return { result, message: decodeHistoryEventMessage(last.value), headers: last.headers, images: result.messages.slice(0, -1) };
}

describe('V2R2C01, the vendor example', () => {
  it('as printed, fails only on its placeholder pictures once the token names the box (it sends no dev_sno)', () => {
    const result = adapter.parse(vendorExample('V2R2C01'), { ...CTX, boundDevSno: 'BOX-22' });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors.map((error) => error.pointer), ['/reg_pic', '/ext_data/spot_pic', '/ext_data/recognize_face']);
  });

  it('with real pictures: fiqa from box_fiqa_info, quality blocks kept, want_action "0"', () => {
    const raw = vendorExample('V2R2C01');
    Object.assign(raw, { reg_pic: b64(PNG) });
    Object.assign(raw['ext_data'], { spot_pic: b64(JPEG), recognize_face: b64(WEBP) });
    const { message, headers } = accepted(raw, { ...CTX, boundDevSno: 'BOX-22' });
    assert.equal(message.source_format, 'V2R2C01');
    assert.equal(headers[HEADERS.sourceFormat], 'V2R2C01');
    assert.equal(message.event.want_action, '0');
    assert.equal(message.event.ext_data.fiqa_result, true);
    assert.deepEqual(message.event.ext_data['box_fiqa_info'], vendorExample('V2R2C01')['ext_data']['box_fiqa_info']);
    assert.deepEqual(message.event.ext_data['grab_fiqa_info'], vendorExample('V2R2C01')['ext_data']['grab_fiqa_info']);
    assert.equal(message.score_normalised, 0.16);
  });

  it('the face attributes of its quality blocks become info: age bracket, gender, box (the event id as before)', () => {
    const raw = vendorExample('V2R2C01');
    Object.assign(raw, { reg_pic: '' });
    Object.assign(raw['ext_data'], { spot_pic: '', recognize_face: '', dev_sno: 'BOX-22' });
    const { message, result } = accepted(raw);
    // box_fiqa_info: age 4 (0 < age < 6 is "child"), sex 1 (女); grab_fiqa_info.rect as [x1, y1, x2, y2].
    assert.deepEqual(message.event.ext_data.info, { age: 'child', gender: 'female', box: [1652, 420, 1734, 524] });
    const withoutBlocks = structuredClone(raw);
    delete withoutBlocks['ext_data']['grab_fiqa_info'];
    withoutBlocks['ext_data']['box_fiqa_info'] = { fiqa_result: true };
    const plain = accepted(withoutBlocks);
    assert.equal(plain.message.event.ext_data.info, undefined);
    assert.equal(plain.result.ok && plain.result.eventId, result.ok && result.eventId);
  });

  it('reads the box’s own attributes before the camera’s, keeps info’s own, and leaves out what it cannot read', () => {
    const raw = vendorExample('V2R2C01');
    Object.assign(raw, { reg_pic: '' });
    Object.assign(raw['ext_data'], { spot_pic: '', recognize_face: '', dev_sno: 'BOX-22', info: { gender: 'male' } });
    Object.assign(raw['ext_data']['box_fiqa_info'], { age: 'unknown', sex: 1 });
    Object.assign(raw['ext_data']['grab_fiqa_info'], { age: '41', sex: 0, rect: { top: 1, left: 2 } });
    assert.deepEqual(accepted(raw).message.event.ext_data.info, { gender: 'male', age: 'middle-aged' });
  });

  it('a failed quality check ("False" as Python prints it) is fiqa_result false', () => {
    const raw = vendorExample('V2R2C01');
    Object.assign(raw, { reg_pic: '' });
    Object.assign(raw['ext_data'], { spot_pic: '', recognize_face: '', dev_sno: 'BOX-22' });
    raw['ext_data']['box_fiqa_info']['fiqa_result'] = 'False';
    assert.equal(accepted(raw).message.event.ext_data.fiqa_result, false);
  });
});

describe('V5R6C01, the vendor example', () => {
  it('as printed, with dev_sno "" and no token binding: the box is the ep_id prefix', () => {
    const { message, result } = accepted(vendorExample('V5R6C01'));
    assert.equal(result.devSno, '0xe0a509261422');
    assert.deepEqual(message.event, {
      identity_id: '1602612036.3828533',
      identity_name: 'stranger',
      group_name: '', // V5R6C01 has no group name
      timestamp: 1602612036150,
      score: 6.58,
      want_action: '0',
      ext_data: {
        dev_sno: '0xe0a509261422',
        ep_id: '0xe0a509261422__rtsp://192.168.1.100:8554/ch103',
        device_ip: '192.168.1.100',
        device_type: '3', // "rtsp"
        person_type: 4,
        out_timestamp: 1602612038610,
        identity_info: {},
        ep_info: vendorExample('V5R6C01')['ep_info'],
        info: { point: [1293, 1343, 1318, 1296, 1339, 82, 84, 114, 140, 141], hat: null, mask: null, box: [1261, 31, 1375, 176], expression: null },
      },
    });
    assert.equal(message.source_format, 'V5R6C01');
    assert.ok(Math.abs(message.score_normalised! - 0.0658) < 1e-12);
    assert.deepEqual(message.pictures, []);
  });

  it('as printed, with a token binding: the binding is the box', () => {
    assert.equal(accepted(vendorExample('V5R6C01'), { ...CTX, boundDevSno: 'BOX-56' }).message.event.ext_data.dev_sno, 'BOX-56');
  });

  it('a dev_sno it does send wins, and top-level pictures become the canonical ones', () => {
    const { message, images } = accepted(v5r6({ reg_pic: b64(PNG), ir_pic: b64(JPEG), recognize_face: b64(WEBP) }));
    assert.equal(message.event.ext_data.dev_sno, 'BOX-56');
    assert.deepEqual(images.map((image) => image.headers[HEADERS.pictureKind]), ['reg_pic', 'spot_pic', 'ir_pic', 'recognize_face']);
  });

  it('ep_type photo / card map to device_type "1" / "4"', () => {
    for (const [epType, deviceType] of [['photo', '1'], ['card', '4']]) {
      const raw = v5r6();
      raw['ep_info'] = { ...raw['ep_info'], ep_type: epType };
      assert.equal(accepted(raw).message.event.ext_data.device_type, deviceType);
    }
  });

  it('feature_binary becomes the feature list; unknown top-level fields are kept in ext_data', () => {
    const raw = v5r6({ frame_id: 7 });
    raw['recognize_face_attr'] = { ...raw['recognize_face_attr'], feature_binary: featureBase64(FEATURE_512), age: 'youth', gender: 'male' };
    const { ext_data: ext } = accepted(raw).message.event;
    assert.deepEqual(ext.info?.feature, FEATURE_512);
    assert.equal('feature_binary' in (ext.info ?? {}), false);
    assert.equal(ext.info?.age, 'youth');
    assert.equal(ext['frame_id'], 7);
  });
});

describe('V6R2C01, the vendor example', () => {
  it('as printed (placeholder JPEG starts and a 6-float feature): accepted, every field mapped', () => {
    const { message, result, headers, images } = accepted(vendorExample('V6R2C01'));
    assert.equal(result.devSno, 'NAAXWN000120210813164813');
    assert.equal(headers[HEADERS.sourceFormat], 'V6R2C01');
    const { ext_data: ext, ...top } = message.event;
    assert.deepEqual(top, { identity_id: '01200002', identity_name: '小明', group_name: '', timestamp: 1629080261881, score: 94.8, want_action: '0' });
    const { info, ...rest } = ext;
    assert.deepEqual(rest, {
      dev_sno: 'NAAXWN000120210813164813',
      ep_id: 'NAAXWN000120210813164813__fb4eb129a3d64f0a81a04a00e36547b1',
      device_ip: '172.28.9.38',
      device_type: '3',
      person_type: 1, // "employee"
      api_version: '2.0',
      in_timestamp: 1629080261881,
      out_timestamp: 1629080265454,
      media_device_info: vendorExample('V6R2C01')['media_device_info'],
    });
    assert.deepEqual(info?.box, [50, 23, 173, 183]);
    assert.equal(info?.feature?.length, 6);
    for (const attribute of ['gender', 'glasses', 'age']) assert.equal(attribute in info!, false, attribute); // null = not extracted
    assert.equal(info?.['mask'], null); // kept as sent
    assert.equal(message.score_normalised, 0.948);
    assert.deepEqual(images.map((image) => image.headers[HEADERS.pictureKind]), ['reg_pic', 'spot_pic', 'recognize_face']);
  });

  it('post_action is want_action', () => {
    assert.equal(accepted(v6r2({ post_action: '1001' })).message.event.want_action, '1001');
    assert.equal(accepted(v6r2({ post_action: 1002 })).message.event.want_action, '1002');
  });

  it('user_type words are person_type 1..5; absent is the default employee', () => {
    const words = ['employee', 'visitor', 'blacklist', 'stranger', 'vip'];
    assert.deepEqual(words.map((word) => accepted(v6r2({ user_type: word })).message.event.ext_data.person_type), [1, 2, 3, 4, 5]);
    assert.equal(accepted(v6r2({ user_type: undefined })).message.event.ext_data.person_type, 1);
  });

  it('media_device_type words are device types; gb28181 (a video stream, listed by the status report) is an IPC like rtsp', () => {
    const typeOf = (word: string) => {
      const raw = v6r2();
      raw['media_device_info'] = { ...raw['media_device_info'], media_device_type: word };
      return accepted(raw).message.event.ext_data.device_type;
    };
    assert.deepEqual(['photo', 'rtsp', 'gb28181', 'file'].map(typeOf), ['1', '3', '3', '3']);
  });

  it('without media_device_id the capture point is the device IP', () => {
    const raw = v6r2();
    raw['media_device_info'] = { ...raw['media_device_info'], media_device_id: '' };
    assert.equal(accepted(raw).message.event.ext_data.ep_id, 'NAAXWN000120210813164813__172.28.9.38');
  });

  it('an empty mq_license_key is the token\'s device', () => {
    const { message } = accepted(v6r2({ mq_license_key: '' }), { ...CTX, boundDevSno: 'BOX-62' });
    assert.equal(message.event.ext_data.dev_sno, 'BOX-62');
    assert.equal(message.event.ext_data.ep_id, 'BOX-62__fb4eb129a3d64f0a81a04a00e36547b1');
  });
});

describe('features: one vector, three encodings', () => {
  const withFeature = (attr: Record<string, unknown>) => {
    const raw = v6r2();
    const { feature_base64_str: _unused, ...rest } = raw['recognize_face_attr'];
    raw['recognize_face_attr'] = { ...rest, ...attr };
    return accepted(raw).message.event.ext_data.info?.feature;
  };

  it('list, feature_binary and feature_base64_str decode to the same 512 floats', () => {
    const encoded = featureBase64(FEATURE_512);
    assert.equal(Buffer.from(encoded, 'base64').length, 2048);
    assert.deepEqual(withFeature({ feature: FEATURE_512 }), FEATURE_512);
    assert.deepEqual(withFeature({ feature_binary: encoded }), FEATURE_512);
    assert.deepEqual(withFeature({ feature_base64_str: encoded }), FEATURE_512);
    const raw = v5r6();
    raw['recognize_face_attr'] = { ...raw['recognize_face_attr'], feature_binary: encoded };
    assert.deepEqual(accepted(raw).message.event.ext_data.info?.feature, FEATURE_512);
  });

  it('the list and the base64 may both be sent when they agree', () => {
    assert.deepEqual(withFeature({ feature: FEATURE_512, feature_binary: featureBase64(FEATURE_512) }), FEATURE_512);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createHistoryEventAdapter,
  decodeHistoryEventMessage,
  DEFAULT_TOPICS,
  HEADERS,
  type OutboundMessage,
  type Topics,
} from '../src/index.js';
import { SAMPLE_DEV_SNO, sampleHistoryEvent, tinyImage } from '../src/testing.js';
import { b64, BMP, JPEG, PNG, SPEC_DEV_SNO, specExample, WEBP } from './fixtures.js';

const TOPICS: Topics = { historyEvents: 'he', eventImages: 'img', quarantine: 'q' };
const adapter = createHistoryEventAdapter({ topics: TOPICS, maxPictureBytes: 64 * 1024 });
const RECEIVED_AT = 1_700_000_000_123;

function parsedOk(raw: unknown, boundDevSno?: string) {
  const result = adapter.parse(raw, boundDevSno === undefined ? { receivedAt: RECEIVED_AT } : { receivedAt: RECEIVED_AT, boundDevSno });
  assert.ok(result.ok, JSON.stringify(result));
  return result;
}

const lastMessage = (messages: OutboundMessage[]): OutboundMessage => {
  const message = messages.at(-1);
  assert.ok(message);
  return message;
};

describe('the spec example', () => {
  it('as printed, fails only on its placeholder pictures and on the missing dev_sno / ep_id', () => {
    assert.deepEqual(adapter.parse(specExample(), { receivedAt: RECEIVED_AT }), {
      ok: false,
      errors: [
        { pointer: '/ext_data/ep_id', message: 'is required' },
        { pointer: '/ext_data/dev_sno', message: 'is required' },
        { pointer: '/ext_data/spot_pic', message: 'is not valid base64 (truncated: 5 characters cannot encode whole bytes)' },
        { pointer: '/ext_data/ir_pic', message: 'is not an image: expected JPEG, PNG, BMP or WebP' },
        { pointer: '/ext_data/recognize_face', message: 'is not valid base64 (truncated: 5 characters cannot encode whole bytes)' },
      ],
    });
  });

  it('with a token binding, fails only on its placeholder pictures', () => {
    const result = adapter.parse(specExample(), { receivedAt: RECEIVED_AT, boundDevSno: SPEC_DEV_SNO });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors.map((error) => error.pointer), ['/ext_data/spot_pic', '/ext_data/ir_pic', '/ext_data/recognize_face']);
    assert.equal(!result.ok && result.devSno, SPEC_DEV_SNO);
  });

  it('with real pictures and a token binding, is accepted and round-trips through decodeHistoryEventMessage', () => {
    const raw = specExample();
    Object.assign(raw['ext_data'] as object, { spot_pic: b64(JPEG), ir_pic: b64(BMP), recognize_face: b64(WEBP) });
    const result = parsedOk(raw, SPEC_DEV_SNO);
    assert.equal(result.devSno, SPEC_DEV_SNO);
    const decoded = decodeHistoryEventMessage(lastMessage(result.messages).value);
    assert.deepEqual(decoded.event, {
      score: 0.16,
      group_name: 'default_group',
      identity_id: '13028',
      identity_name: 'stranger',
      want_action: '0',
      timestamp: 1560408984678,
      ext_data: {
        device_type: '1',
        info: { age: 'child', gender: 'male', glasses: 'no' },
        person_type: 1,
        device_ip: '192.168.1.151',
        dev_sno: SPEC_DEV_SNO,
        ep_id: `${SPEC_DEV_SNO}__192.168.1.151`,
      },
    });
    assert.deepEqual(
      decoded.pictures.map((picture) => [picture.kind, picture.content_type]),
      [['spot_pic', 'image/jpeg'], ['ir_pic', 'image/bmp'], ['recognize_face', 'image/webp']],
    );
  });
});

describe('createHistoryEventAdapter', () => {
  it('is named history-event', () => {
    assert.equal(adapter.name, 'history-event');
  });

  it('publishes one image message per picture, then the event', () => {
    const { messages, eventId, devSno } = parsedOk(sampleHistoryEvent());
    assert.equal(devSno, SAMPLE_DEV_SNO);
    assert.deepEqual(
      messages.map((message) => [message.topic, message.key, message.headers[HEADERS.pictureKind]]),
      [
        ['img', eventId, 'reg_pic'],
        ['img', eventId, 'spot_pic'],
        ['img', eventId, 'ir_pic'],
        ['img', eventId, 'recognize_face'],
        ['he', SAMPLE_DEV_SNO, undefined],
      ],
    );
  });

  it('sends image bytes raw, with headers that describe them', () => {
    const { messages, eventId } = parsedOk(sampleHistoryEvent({ ext_data: { ir_pic: b64(PNG) } }));
    const ir = messages.find((message) => message.headers[HEADERS.pictureKind] === 'ir_pic');
    assert.ok(ir);
    assert.deepEqual(ir.value, PNG);
    assert.deepEqual(ir.headers, {
      'event-id': eventId,
      'picture-kind': 'ir_pic',
      'content-type': 'image/png',
      'object-key': `2019/08/14/${SAMPLE_DEV_SNO}/${eventId}/ir_pic.png`,
      sha256: createHash('sha256').update(PNG).digest('hex'),
      'schema-version': '1',
      'dev-sno': SAMPLE_DEV_SNO,
    });
  });

  it('sends the event as JSON with picture references and without the pictures', () => {
    const { messages, eventId } = parsedOk(sampleHistoryEvent({ want_action: 1001 }));
    const eventMessage = lastMessage(messages);
    assert.deepEqual(eventMessage.headers, {
      'event-id': eventId,
      'want-action': '1001',
      'schema-version': '1',
      'dev-sno': SAMPLE_DEV_SNO,
      'source-format': 'V5R3C01',
      'content-type': 'application/json',
    });
    const body = JSON.parse(eventMessage.value.toString('utf8')) as Record<string, unknown>;
    assert.equal(body['schema_version'], 1);
    assert.equal(body['kind'], 'history-event');
    assert.equal(body['event_id'], eventId);
    assert.equal(body['received_at'], RECEIVED_AT);
    const event = body['event'] as Record<string, Record<string, unknown>>;
    assert.equal('reg_pic' in event, false);
    for (const field of ['spot_pic', 'ir_pic', 'recognize_face']) assert.equal(field in (event['ext_data'] ?? {}), false, field);
    const images = messages.slice(0, -1);
    assert.deepEqual(
      body['pictures'],
      images.map((image) => ({
        kind: image.headers[HEADERS.pictureKind],
        content_type: image.headers[HEADERS.contentType],
        size: image.value.length,
        sha256: image.headers[HEADERS.sha256],
        object_key: image.headers[HEADERS.objectKey],
      })),
    );
  });

  it('publishes only the event when no pictures were sent', () => {
    const { messages } = parsedOk(sampleHistoryEvent({ reg_pic: '', ext_data: { spot_pic: '', ir_pic: null, recognize_face: undefined } }));
    assert.equal(messages.length, 1);
    assert.deepEqual(decodeHistoryEventMessage(lastMessage(messages).value).pictures, []);
  });

  it('keeps unknown fields in the published event', () => {
    const { messages } = parsedOk(sampleHistoryEvent({ vendor: { build: 7 }, ext_data: { camera_name: 'north', info: { mask: 'no' } } }));
    const { event } = decodeHistoryEventMessage(lastMessage(messages).value);
    assert.deepEqual(event['vendor'], { build: 7 });
    assert.equal(event.ext_data['camera_name'], 'north');
    assert.equal(event.ext_data.info?.['mask'], 'no');
  });

  it('returns the errors and the dev_sno instead of messages when the event is bad', () => {
    assert.deepEqual(adapter.parse(sampleHistoryEvent({ ext_data: { spot_pic: tinyImage('jpeg', 64 * 1024 + 1).toString('base64') } }), { receivedAt: 1 }), {
      ok: false,
      errors: [{ pointer: '/ext_data/spot_pic', message: 'is 65537 bytes, more than the limit of 65536 bytes' }],
      devSno: SAMPLE_DEV_SNO,
    });
  });

  it('never throws: an unforeseen failure becomes the item\'s error (so the gateway quarantines it)', () => {
    const hostile = sampleHistoryEvent() as Record<string, unknown>;
    Object.defineProperty(hostile, 'score', { enumerable: true, get: () => { throw new RangeError('boom'); } });
    assert.deepEqual(adapter.parse(hostile, { receivedAt: 1 }), { ok: false, errors: [{ pointer: '', message: 'could not be read: boom' }] });
  });

  it('tells the device an item claims without decoding it: dev_sno, else the ep_id prefix', () => {
    assert.equal(adapter.claimedDevSno(sampleHistoryEvent()), SAMPLE_DEV_SNO);
    assert.equal(adapter.claimedDevSno({ ext_data: { dev_sno: '', ep_id: 'BOX-B__10.0.0.1' } }), 'BOX-B');
    assert.equal(adapter.claimedDevSno({ ext_data: { dev_sno: null, ep_id: 'BOX-C__10.0.0.1', spot_pic: '@@not base64' } }), 'BOX-C');
    for (const unclaimed of [null, 42, [], {}, { ext_data: 'BOX-B' }, { ext_data: { ep_id: 'no-separator' } }, { ext_data: { dev_sno: 7 } }]) {
      assert.equal(adapter.claimedDevSno(unclaimed), undefined, JSON.stringify(unclaimed));
    }
  });

  it('publishes to the configured topics (DEFAULT_TOPICS here)', () => {
    const defaults = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 });
    const result = defaults.parse(sampleHistoryEvent(), { receivedAt: 1 });
    assert.ok(result.ok);
    assert.deepEqual([...new Set(result.messages.map((message) => message.topic))], ['event-images', 'history-events']);
  });
});

describe('DEFAULT_TOPICS', () => {
  it('names every topic of the pipeline', () => {
    assert.deepEqual(DEFAULT_TOPICS, {
      historyEvents: 'history-events',
      eventImages: 'event-images',
      quarantine: 'history-events-quarantine',
      deadLetter: 'pipeline-dead-letter',
      faceRegistrations: 'face-registrations',
      faceRegistrationsRetry: 'face-registrations-retry',
      deviceStatus: 'device-status',
    });
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeHistoryEventMessage, DEFAULT_TOPICS } from '@sophon/event-contract';
import { tinyImage } from '@sophon/event-contract/testing';
import { fetchMetrics } from '@sophon/test-kit';
import { eventFrom, gatewayTestBed, post, TOKENS } from './harness.js';

const ROUTE = '/EventServer/api/HistoryEvent';
const bed = gatewayTestBed({ readTopics: [DEFAULT_TOPICS.historyEvents, DEFAULT_TOPICS.eventImages, DEFAULT_TOPICS.quarantine] });

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a posted event', () => {
  test('is read back from history-events without picture bytes, and from event-images byte-exact', async () => {
    const sent = eventFrom('BOX-A', 'read-back-1');
    const answer = await post(bed.gateway.url + ROUTE, sent, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    const eventId: string = answer.json.data.event_id;
    assert.match(eventId, /^[0-9a-f]{32}$/);

    const eventMessage = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === eventId),
      'the history-events message',
    );
    assert.equal(eventMessage.key, 'BOX-A');
    assert.equal(eventMessage.headers['want-action'], '0');
    assert.equal(eventMessage.headers['schema-version'], '1');
    assert.ok(eventMessage.value.length < 20_000, 'no picture bytes in the event message');
    const decoded = decodeHistoryEventMessage(eventMessage.value);
    assert.equal(decoded.event_id, eventId);
    assert.equal(decoded.event.identity_id, 'read-back-1');
    assert.equal(decoded.event.ext_data.dev_sno, 'BOX-A');
    assert.equal(decoded.pictures.length, 4);

    const images = await bed.reader.waitFor((all) => {
      const found = all.filter((m) => m.topic === DEFAULT_TOPICS.eventImages && m.key === eventId);
      return found.length === 4 ? found : undefined;
    }, 'four image messages');
    const sentPictures: Record<string, string> = {
      reg_pic: sent.reg_pic,
      spot_pic: sent.ext_data.spot_pic,
      ir_pic: sent.ext_data.ir_pic,
      recognize_face: sent.ext_data.recognize_face,
    };
    for (const image of images) {
      const kind = image.headers['picture-kind']!;
      const expected = Buffer.from(sentPictures[kind]!.replace(/^data:[^,]*,/, ''), 'base64');
      assert.deepEqual(image.value, expected, `${kind} bytes`);
      assert.equal(image.headers['sha256'], sha256(expected));
      const ref = decoded.pictures.find((p) => p.kind === kind);
      assert.equal(ref?.object_key, image.headers['object-key']);
      assert.equal(ref?.size, expected.length);
      assert.equal(ref?.sha256, sha256(expected));
      assert.equal(image.headers['content-type'], ref?.content_type);
    }
  });

  test('re-sent by the device (a retry) gets the same event id', async () => {
    const sent = eventFrom('BOX-A', 'retry-1');
    const first = await post(bed.gateway.url + ROUTE, sent, { token: TOKENS.boxA });
    const second = await post(bed.gateway.url + '/HistoryEvent', sent, { headers: { authorization: `Bearer ${TOKENS.boxA}` } });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.json.data.event_id, first.json.data.event_id);
  });

  test('keeps its feature vector as the box wrote it; refused, it is quarantined with it', async () => {
    const written = `[0.50,1E-5,${Array.from({ length: 510 }, (_, i) => (Math.cos(i) / 9).toPrecision(8)).join(',')}]`;
    const upload = (identity: string, change: (event: any) => void = () => {}) => {
      const event = eventFrom('BOX-A', identity);
      event.ext_data.info.feature = [424242];
      change(event);
      return new Blob([JSON.stringify(event).replace('[424242]', written)]);
    };
    const accepted = await post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw: upload('feature-kept') });
    assert.equal(accepted.status, 200, accepted.text);
    const message = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === accepted.json.data.event_id),
      'the history-events message',
    );
    assert.ok(message.value.toString().includes(`"feature":${written}`), 'the digits as sent');
    assert.deepEqual(decodeHistoryEventMessage(message.value).event.ext_data.info?.feature, JSON.parse(written));

    // Behind a UTF-8 byte order mark, as some HTTP stacks write one.
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const withBom = await post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw: new Blob([bom, await upload('feature-bom').arrayBuffer()]) });
    assert.equal(withBom.status, 200, withBom.text);
    assert.equal(withBom.json.data.status, 'accepted', withBom.text);
    const bomMessage = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === withBom.json.data.event_id),
      'the history-events message of the body behind a BOM',
    );
    assert.ok(bomMessage.value.toString().includes(`"feature":${written}`), 'the digits as sent, behind a BOM too');

    const refused = await post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw: upload('feature-refused', (event) => (event.score = 'high')) });
    assert.equal(refused.status, 200, refused.text);
    assert.equal(refused.json.data.status, 'quarantined');
    const quarantined = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.quarantine && m.value.includes('feature-refused')),
      'the quarantined event',
    );
    assert.deepEqual(JSON.parse(quarantined.value.toString()).raw.ext_data.info.feature, JSON.parse(written));
  });

  test('is read whatever the Content-Type says', async () => {
    for (const contentType of ['text/plain', 'application/octet-stream', '']) {
      const answer = await post(bed.gateway.url + ROUTE, undefined, {
        token: TOKENS.boxA,
        headers: contentType ? { 'content-type': contentType } : {},
        raw: new Blob([JSON.stringify(eventFrom('BOX-A', `ctype-${contentType}`))]),
      });
      assert.equal(answer.status, 200, `${contentType}: ${answer.text}`);
    }
  });
});

describe('a batch', () => {
  test('accepts its valid events, lists and quarantines the invalid ones', async () => {
    const good1 = eventFrom('BOX-B', 'batch-good-1');
    const bad = eventFrom('BOX-B', 'batch-bad');
    bad.ext_data.person_type = 9;
    bad.score = 'high';
    const good2 = eventFrom('BOX-B', 'batch-good-2');
    const answer = await post(bed.gateway.url + ROUTE, [good1, bad, good2], { headers: { 'x-device-token': TOKENS.boxB } });
    assert.equal(answer.status, 200, answer.text);
    const { accepted, events } = answer.json.data;
    assert.equal(accepted, 2);
    assert.equal(answer.json.data.quarantined, 1);
    assert.deepEqual(events.map((e: any) => e.status), ['accepted', 'quarantined', 'accepted']);
    const pointers = events[1].errors.map((e: any) => e.pointer).sort();
    assert.deepEqual(pointers, ['/ext_data/person_type', '/score']);

    const quarantined = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.quarantine && m.value.includes('batch-bad')),
      'the quarantined event',
    );
    const kept = JSON.parse(quarantined.value.toString());
    assert.equal(kept.raw.identity_id, 'batch-bad');
    assert.equal(kept.raw.score, 'high', 'the raw event is kept as sent');
    const spot = Buffer.from(bad.ext_data.spot_pic, 'base64');
    assert.deepEqual(kept.raw.ext_data.spot_pic, { omitted: 'base64', bytes: spot.length, sha256: sha256(spot), content_type: 'image/jpeg' }, 'pictures by hash, not bytes');
    assert.ok(quarantined.value.length < 4096, `a small record: ${quarantined.value.length} bytes`);
    assert.ok(kept.errors.some((e: any) => e.pointer === '/ext_data/person_type'));
    for (const event of events.filter((e: any) => e.status === 'accepted')) {
      await bed.reader.waitFor((all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === event.event_id), event.event_id);
    }
  });

  test('two faces in one frame get different event ids', async () => {
    const face1 = eventFrom('BOX-A', 'face-1');
    const face2 = eventFrom('BOX-A', 'face-2');
    face2.timestamp = face1.timestamp;
    face2.ext_data.recognize_face = tinyImage('jpeg', 900).toString('base64');
    const answer = await post(bed.gateway.url + ROUTE, [face1, face2], { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    const [a, b] = answer.json.data.events;
    assert.notEqual(a.event_id, b.event_id);
  });
});

describe('multipart/form-data', () => {
  test('one part holding the whole event as JSON', async () => {
    const form = new FormData();
    form.set('event', JSON.stringify(eventFrom('BOX-A', 'multipart-whole')));
    const response = await fetch(`${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}`, { method: 'POST', body: form });
    assert.equal(response.status, 200, await response.clone().text());
    assert.match(((await response.json()) as { data: { event_id: string } }).data.event_id, /^[0-9a-f]{32}$/);
  });

  test('one field per key, ext_data as JSON, pictures as file parts and base64 fields', async () => {
    const event = eventFrom('BOX-A', 'multipart-fields');
    const { spot_pic, ir_pic, recognize_face, ...extData } = event.ext_data;
    const form = new FormData();
    for (const key of ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action']) form.set(key, String(event[key]));
    form.set('ext_data', JSON.stringify(extData));
    form.set('reg_pic', event.reg_pic);
    form.set('spot_pic', new Blob([Buffer.from(spot_pic, 'base64')], { type: 'image/jpeg' }), 'spot.jpg');
    form.set('ext_data[ir_pic]', new Blob([Buffer.from(ir_pic, 'base64')]), 'ir.jpg');
    form.set('ext_data.recognize_face', recognize_face);
    const response = await fetch(`${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}`, { method: 'POST', body: form });
    const answer = (await response.json()) as { data: { event_id: string } };
    assert.equal(response.status, 200, JSON.stringify(answer));
    const viaJson = await post(bed.gateway.url + ROUTE, event, { token: TOKENS.boxA });
    assert.equal(answer.data.event_id, viaJson.json.data.event_id, 'the same event whichever way it was sent');
    const message = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === answer.data.event_id),
      'the multipart event',
    );
    assert.equal(decodeHistoryEventMessage(message.value).pictures.length, 4);
  });
});

describe('operations', () => {
  test('healthz, readyz and metrics', async () => {
    assert.equal((await fetch(`${bed.gateway.url}/healthz`)).status, 200);
    const ready = await fetch(`${bed.gateway.url}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    const metrics = await fetchMetrics(bed.gateway.url);
    assert.match(metrics, /gateway_http_requests_total\{route="[^"]*HistoryEvent[^"]*",status="200",service="gateway"\} \d+/);
    assert.match(metrics, /gateway_events_total\{outcome="accepted",reason="valid",service="gateway"\} \d+/);
    assert.match(metrics, /gateway_kafka_publish_seconds_bucket/);
    assert.match(metrics, /gateway_inflight_bytes/);
  });
});

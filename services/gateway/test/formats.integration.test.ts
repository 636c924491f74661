import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeHistoryEventMessage, DEFAULT_TOPICS } from '@sophon/event-contract';
import { tinyImage } from '@sophon/event-contract/testing';
import { gatewayTestBed, post, TOKENS } from './harness.js';

// Every firmware format on the one event path, end to end through Kafka (issue 9, "Event formats").
const ROUTE = '/EventServer/api/HistoryEvent';
const bed = gatewayTestBed({ readTopics: [DEFAULT_TOPICS.historyEvents, DEFAULT_TOPICS.quarantine] });

const example = (format: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../../packages/event-contract/test/vendor-examples/${format}-history-event.json`, import.meta.url), 'utf8'));

async function publishedEvent(eventId: string) {
  const message = await bed.reader.waitFor(
    (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === eventId),
    `the history-events message ${eventId}`,
  );
  return { message, decoded: decodeHistoryEventMessage(message.value) };
}

describe('the vendor examples, posted as the boxes send them', () => {
  test('V5R6C01 (dev_sno ""): accepted for the token\'s box, source-format recorded', async () => {
    const answer = await post(bed.gateway.url + ROUTE, example('V5R6C01'), { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    const { message, decoded } = await publishedEvent(answer.json.data.event_id);
    assert.equal(message.key, 'BOX-A');
    assert.equal(message.headers['source-format'], 'V5R6C01');
    assert.equal(decoded.source_format, 'V5R6C01');
    assert.equal(decoded.event.ext_data.dev_sno, 'BOX-A');
    assert.equal(decoded.event.group_name, '');
  });

  test('V5R6C01 as form-data, one field per key, pictures as a base64 field and a file part: stored with both pictures', async () => {
    const face = tinyImage('jpeg');
    const spot = tinyImage('jpeg', 3000);
    const form = new FormData();
    for (const [key, value] of Object.entries(example('V5R6C01'))) {
      if (key === 'spot_pic' || key === 'recognize_face') continue;
      form.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    form.set('recognize_face', face.toString('base64'));
    form.set('spot_pic', new Blob([spot], { type: 'image/jpeg' }), 'spot.jpg');
    const response = await fetch(`${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}`, { method: 'POST', body: form });
    const answer = (await response.json()) as { data: { event_id: string; status: string } };
    assert.equal(response.status, 200, JSON.stringify(answer));
    assert.equal(answer.data.status, 'accepted', JSON.stringify(answer));
    const { decoded } = await publishedEvent(answer.data.event_id);
    assert.equal(decoded.source_format, 'V5R6C01');
    const sizes = Object.fromEntries(decoded.pictures.map((picture) => [picture.kind, picture.size]));
    assert.deepEqual(sizes, { spot_pic: spot.length, recognize_face: face.length });
  });

  test('V6R2C01 from its own box: accepted, score kept and normalised', async () => {
    const answer = await post(bed.gateway.url + ROUTE, { ...example('V6R2C01'), mq_license_key: 'BOX-A' }, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    const { message, decoded } = await publishedEvent(answer.json.data.event_id);
    assert.equal(message.key, 'BOX-A');
    assert.equal(decoded.source_format, 'V6R2C01');
    assert.equal(decoded.event.score, 94.8);
    assert.equal(decoded.score_normalised, 0.948);
    assert.equal(decoded.event.ext_data.person_type, 1);
  });
});

describe('bad inputs', () => {
  test('a V6R2C01 body whose mq_license_key is another box is refused by the device check', async () => {
    const answer = await post(bed.gateway.url + ROUTE, example('V6R2C01'), { token: TOKENS.boxA });
    assert.equal(answer.status, 403, answer.text);
    assert.match(answer.text, /bound to device BOX-A and cannot post for device NAAXWN000120210813164813/);
  });

  test('a V5R6C01 body naming another box in dev_sno is refused too', async () => {
    const answer = await post(bed.gateway.url + ROUTE, { ...example('V5R6C01'), dev_sno: 'BOX-B' }, { token: TOKENS.boxA });
    assert.equal(answer.status, 403, answer.text);
  });

  test('a body of no known format is quarantined, and the answer names the formats tried', async () => {
    const answer = await post(bed.gateway.url + ROUTE, { identity_id: 'nobody', score: 0.5 }, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.data.status, 'quarantined');
    assert.match(answer.json.data.errors[0].message, /matches no known event format \(tried V5R3C01, V2R2C01, V5R6C01, V6R2C01\); the closest, .* lacks /);
    const quarantined = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.quarantine && JSON.parse(m.value.toString()).raw?.identity_id === 'nobody'),
      'the quarantined body',
    );
    assert.equal(quarantined.key, 'BOX-A');
  });
});

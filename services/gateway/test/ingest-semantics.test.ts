import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeHistoryEventMessage, DEFAULT_TOPICS } from '@sophon/event-contract';
import { tinyImage } from '@sophon/event-contract/testing';
import { eventFrom, gatewayTestBed, post, TOKENS } from './harness.js';

/** Issue 8: what a box hears for invalid events, twin faces, oversized records and unusual bodies. */
const ROUTE = '/EventServer/api/HistoryEvent';
const bed = gatewayTestBed({ readTopics: [DEFAULT_TOPICS.historyEvents, DEFAULT_TOPICS.quarantine] });

const quarantineRecord = (marker: string) =>
  bed.reader.waitFor((all) => {
    const found = all.find((m) => m.topic === DEFAULT_TOPICS.quarantine && m.value.includes(marker));
    return found && JSON.parse(found.value.toString());
  }, `the quarantine record holding ${marker}`);

describe('an invalid event, once quarantined, is answered 2xx (a box re-sends anything else forever)', () => {
  test('a lone invalid event: 200 "quarantined" with its errors, and it is in quarantine', async () => {
    const bad = eventFrom('BOX-A', 'lone-invalid');
    bad.score = 'high';
    const answer = await post(bed.gateway.url + ROUTE, bad, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.data, { status: 'quarantined', errors: [{ pointer: '/score', message: 'must be a number (got "high")' }] });
    const kept = await quarantineRecord('lone-invalid');
    assert.equal(kept.dev_sno, 'BOX-A');
    assert.deepEqual(kept.errors, answer.json.data.errors);
  });

  test('with ?strict=1 the same event is a 400, and still quarantined', async () => {
    const bad = eventFrom('BOX-A', 'strict-invalid');
    bad.score = 'high';
    const answer = await post(`${bed.gateway.url}${ROUTE}?strict=1`, bad, { token: TOKENS.boxA });
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.json.error.message, /\/score must be a number/);
    await quarantineRecord('strict-invalid');
  });

  test('an all-invalid batch: 200 with every event "quarantined"; 400 with ?strict=1', async () => {
    const batch = [eventFrom('BOX-A', 'all-bad-1'), eventFrom('BOX-A', 'all-bad-2')];
    for (const event of batch) event.timestamp = 'yesterday';
    const answer = await post(bed.gateway.url + ROUTE, batch, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.data.accepted, 0);
    assert.equal(answer.json.data.quarantined, 2);
    assert.deepEqual(answer.json.data.events.map((e: any) => [e.index, e.status, e.errors[0].pointer]), [[0, 'quarantined', '/timestamp'], [1, 'quarantined', '/timestamp']]);
    await quarantineRecord('all-bad-2');
    const strict = await post(`${bed.gateway.url}${ROUTE}?strict=1`, batch, { token: TOKENS.boxA });
    assert.equal(strict.status, 400, strict.text);
    assert.equal(strict.json.error.quarantined, 2);
  });

  test('a body that is not JSON: 200 "quarantined", kept as text; 400 with ?strict=1', async () => {
    const raw = "{'identity_id': 'python-style', 'score': 0.16}";
    const answer = await post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.data.status, 'quarantined');
    assert.match(answer.json.data.errors[0].message, /not valid JSON/);
    assert.equal((await quarantineRecord('python-style')).raw_text, raw);
    const strict = await post(`${bed.gateway.url}${ROUTE}?strict=1`, undefined, { token: TOKENS.boxA, raw });
    assert.equal(strict.status, 400, strict.text);
  });

  test('150 000 bad feature values: quarantined with 100 errors and a count, not a 500', async () => {
    const bad = eventFrom('BOX-A', 'feature-flood');
    bad.ext_data.info = { feature: Array.from({ length: 150_000 }, () => 'x') };
    const answer = await post(bed.gateway.url + ROUTE, bad, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text.slice(0, 500));
    assert.equal(answer.json.data.status, 'quarantined');
    assert.equal(answer.json.data.errors.length, 101);
    assert.deepEqual(answer.json.data.errors[100], { pointer: '', message: '149901 more errors not shown' });
    const kept = await quarantineRecord('feature-flood');
    assert.equal(kept.errors.length, 101);
  });
});

describe('event ids', () => {
  test('twin faces of one frame (no crop, no box, one identity) get different ids, stable when the box re-sends', async () => {
    const twin = () => {
      const event = eventFrom('BOX-A', 'twin');
      delete event.ext_data.recognize_face;
      delete event.ext_data.info;
      return event;
    };
    const first = await post(bed.gateway.url + ROUTE, [twin(), twin()], { token: TOKENS.boxA });
    assert.equal(first.status, 200, first.text);
    const ids = first.json.data.events.map((e: any) => e.event_id);
    assert.notEqual(ids[0], ids[1]);
    const retry = await post(bed.gateway.url + ROUTE, [twin(), twin()], { token: TOKENS.boxA });
    assert.deepEqual(retry.json.data.events.map((e: any) => e.event_id), ids);
    for (const id of ids) await bed.reader.waitFor((all) => all.some((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === id), id);
  });
});

describe('records Kafka would refuse', () => {
  // A 413 would be re-sent forever by the box, and hold up every other event of its batch with it.
  test('an event too large for history-events is quarantined, naming the topic and its limit; the rest of its batch is stored', async () => {
    const huge = () => {
      const event = eventFrom('BOX-A', 'too-large-for-the-topic');
      event.ext_data.notes = 'n'.repeat(3 * 1024 * 1024);
      return event;
    };
    const alone = await post(bed.gateway.url + ROUTE, huge(), { token: TOKENS.boxA });
    assert.equal(alone.status, 200, alone.text);
    assert.equal(alone.json.data.status, 'quarantined');
    assert.match(alone.json.data.errors[0].message, /^makes a message of \d+ bytes, more than topic history-events accepts \(\d+ bytes\)$/);
    assert.deepEqual((await quarantineRecord('too-large-for-the-topic')).errors, alone.json.data.errors);

    const batch = [eventFrom('BOX-A', 'beside-too-large-1'), huge(), eventFrom('BOX-A', 'beside-too-large-2')];
    const answer = await post(bed.gateway.url + ROUTE, batch, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual([answer.json.data.accepted, answer.json.data.quarantined], [2, 1]);
    const ids: string[] = answer.json.data.events.filter((e: { status: string }) => e.status === 'accepted').map((e: { event_id: string }) => e.event_id);
    for (const id of ids) await bed.reader.waitFor((all) => all.some((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === id), id);
  });
});

describe('multipart/form-data', () => {
  const postForm = async (form: FormData, query = '') => {
    const response = await fetch(`${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}${query}`, { method: 'POST', body: form });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) };
  };
  const file = (base64: string, name: string) => new Blob([Buffer.from(base64, 'base64')], { type: 'image/jpeg' }) as unknown as string;

  test('a whole-event part with picture parts beside it: the pictures are merged in, whatever their layout', async () => {
    const event = eventFrom('BOX-A', 'multipart-merged');
    const { reg_pic } = event;
    const { spot_pic, ir_pic, recognize_face } = event.ext_data;
    const viaJson = await post(bed.gateway.url + ROUTE, event, { token: TOKENS.boxA });
    const bare = structuredClone(event);
    delete bare.reg_pic;
    bare.ext_data.spot_pic = ''; // left out in the JSON, sent as a part: the part fills it
    delete bare.ext_data.ir_pic;
    delete bare.ext_data.recognize_face;
    for (const wholePart of ['event', 'data', 'json', 'payload', 'history_event', 'HistoryEvent', 'events']) {
      const form = new FormData();
      form.set(wholePart, wholePart === 'json' ? new Blob([JSON.stringify(bare)], { type: 'application/json' }) : JSON.stringify(bare));
      form.set('reg_pic', file(reg_pic, 'reg.jpg'), 'reg.jpg');
      form.set('spot_pic', file(spot_pic, 'spot.jpg'), 'spot.jpg');
      form.set('ext_data[ir_pic]', ir_pic);
      form.set('ext_data.recognize_face', file(recognize_face, 'face.jpg'), 'face.jpg');
      const answer = await postForm(form);
      assert.equal(answer.status, 200, `${wholePart}: ${answer.text}`);
      assert.equal(answer.json.data.event_id, viaJson.json.data.event_id, `${wholePart}: the same event as sent as JSON`);
    }
    const message = await bed.reader.waitFor(
      (all) => all.find((m) => m.topic === DEFAULT_TOPICS.historyEvents && m.headers['event-id'] === viaJson.json.data.event_id),
      'the merged event',
    );
    assert.deepEqual(decodeHistoryEventMessage(message.value).pictures.map((p) => p.kind).sort(), ['ir_pic', 'recognize_face', 'reg_pic', 'spot_pic']);
  });

  test('a picture part for a picture the JSON already has is a 400 naming the field', async () => {
    const event = eventFrom('BOX-A', 'multipart-conflict');
    const form = new FormData();
    form.set('event', JSON.stringify(event));
    form.set('spot_pic', file(tinyImage('jpeg', 300).toString('base64'), 'spot.jpg'), 'spot.jpg');
    const answer = await postForm(form);
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.json.error.message, /"spot_pic" conflicts with \/ext_data\/spot_pic/);
    assert.deepEqual(answer.json.error.errors.map((e: any) => e.pointer), ['/ext_data/spot_pic']);
  });

  test('picture parts beside a batch cannot be placed: 400', async () => {
    const form = new FormData();
    form.set('events', JSON.stringify([eventFrom('BOX-A', 'multipart-batch')]));
    form.set('reg_pic', file(tinyImage('jpeg', 300).toString('base64'), 'reg.jpg'), 'reg.jpg');
    const answer = await postForm(form);
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.json.error.message, /"events" must hold one event/);
  });

  test('one field per key with ext_data as JSON and a picture part for a field it already has: 400', async () => {
    const event = eventFrom('BOX-A', 'multipart-fields-conflict');
    const form = new FormData();
    for (const key of ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score']) form.set(key, String(event[key]));
    form.set('ext_data', JSON.stringify(event.ext_data));
    form.set('ext_data[ir_pic]', file(tinyImage('png', 90).toString('base64'), 'ir.png'), 'ir.png');
    const answer = await postForm(form);
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.json.error.message, /conflicts with \/ext_data\/ir_pic/);
  });

  test('deeply nested JSON in a part is quarantined (200), not a 500, found on its raw text before it is parsed', async () => {
    const depth = 200_000;
    const form = new FormData();
    form.set('event', `{"identity_id":"multipart-deep","deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
    const answer = await postForm(form);
    assert.equal(answer.status, 200, answer.text.slice(0, 500));
    assert.equal(answer.json.data.status, 'quarantined');
    // "at byte": found by the raw-text check that runs before JSON.parse (as for a JSON body).
    assert.match(answer.json.data.errors[0].message, /^form part "event": nesting is deeper than 32 levels \(at byte \d+\)$/);
    const kept = await quarantineRecord('multipart-deep');
    assert.ok(kept.raw_text.startsWith('{"identity_id":"multipart-deep"'));
    const strict = await postForm(form, '&strict=1');
    assert.equal(strict.status, 400, strict.text.slice(0, 500));
  });

  test('a picture file part is held to the picture limit in raw bytes; a whole-event file part only to the body limit', async () => {
    const maxPictureBytes = 3 * 1024 * 1024; // GATEWAY_MAX_PICTURE_BYTES' default
    const tooLarge = new FormData();
    tooLarge.set('event', JSON.stringify(eventFrom('BOX-A', 'multipart-picture-too-large')));
    tooLarge.set('spot_pic', new Blob([Buffer.alloc(maxPictureBytes + 1, 0xff)], { type: 'image/jpeg' }) as unknown as string);
    const refused = await postForm(tooLarge);
    assert.equal(refused.status, 413, refused.text);
    assert.equal(refused.json.error.message, `file part "spot_pic" is larger than ${maxPictureBytes} bytes`);

    // Four pictures near the limit, as base64 inside the event's JSON: more than the picture limit, one event.
    const event = eventFrom('BOX-A', 'multipart-large-event-file');
    event.ext_data.notes = 'n'.repeat(Math.ceil(maxPictureBytes * 1.4));
    const whole = new FormData();
    whole.set('event', new Blob([JSON.stringify(event)], { type: 'application/json' }) as unknown as string);
    const answer = await postForm(whole);
    assert.equal(answer.status, 200, answer.text.slice(0, 500));
  });

  test('a part that is not valid JSON is quarantined too', async () => {
    const form = new FormData();
    form.set('event', "{'identity_id': 'multipart-python'}");
    const answer = await postForm(form);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.data.errors[0].message, /form part "event" is not valid JSON/);
    await quarantineRecord('multipart-python');
  });
});

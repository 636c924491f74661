/** The history_events row of a message, and its JSONEachRow line. No server: the columns themselves are checked in the integration test. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHistoryEventMessage, decodeHistoryEventMessageKeepingFeatureJson, type HistoryEventMessage } from '@sophon/event-contract';
import { historyEventRow, historyEventRowLine } from '../src/history-event-row.js';
import { event, historyMessages } from './harness.js';

const EVENT_TIME = Date.parse('2024-05-02T01:10:00.000Z');

/** A stranger asking to be registered, with every picture, an unknown field and no face info. */
function message(): HistoryEventMessage {
  const key = (kind: string) => `2024/05/02/box-a/e3/${kind}.jpg`;
  return {
    schema_version: 1,
    kind: 'history-event',
    event_id: 'e3',
    received_at: EVENT_TIME + 2_000,
    event: {
      identity_id: '1714612200.123',
      identity_name: 'stranger',
      group_name: 'default_group',
      timestamp: EVENT_TIME,
      score: 0.2,
      want_action: '1001',
      ext_data: { device_ip: '192.168.1.101', ep_id: 'box-a__cam-1', dev_sno: 'box-a', person_type: 4, device_type: '0', fiqa_result: false, firmware: 'V5R3C01' },
    },
    pictures: (['reg_pic', 'spot_pic', 'ir_pic', 'recognize_face'] as const).map((kind) => ({ kind, content_type: 'image/jpeg', size: 100, sha256: '0'.repeat(64), object_key: key(kind) })),
  };
}

describe('historyEventRow', () => {
  it('keeps the score as sent beside its 0–1 form, and the firmware format the box posted', () => {
    const fromV6R2 = { ...message(), source_format: 'V6R2C01', score_normalised: 0.948 };
    fromV6R2.event = { ...fromV6R2.event, score: 94.8 };
    const row = historyEventRow(fromV6R2, { topic: 'history-events', partition: 0, offset: '1' }, 0);
    assert.deepEqual([row.score, row.score_normalised, row.source_format], [94.8, 0.948, 'V6R2C01']);
    // A message written before the formats existed: normalised by the same rule, format unknown.
    const older = message();
    older.event = { ...older.event, score: 87 };
    const olderRow = historyEventRow(older, { topic: 'history-events', partition: 0, offset: '2' }, 0);
    assert.deepEqual([olderRow.score_normalised, olderRow.source_format], [0.87, '']);
  });

  it('maps a message to every column, absent values as "", [] or null', () => {
    assert.deepEqual(historyEventRow(message(), { topic: 'history-events', partition: 0, offset: '102' }, 1_714_651_200_002), {
      event_id: 'e3',
      event_time: 1714612200,
      event_time_ms: 1714612200000,
      dev_sno: 'box-a',
      ep_id: 'box-a__cam-1',
      device_ip: '192.168.1.101',
      device_type: '0',
      identity_id: '1714612200.123',
      identity_name: 'stranger',
      group_name: 'default_group',
      person_type: 'stranger',
      score: 0.2,
      score_normalised: 0.2,
      source_format: '',
      want_action: 'new_stranger',
      fiqa_result: 0,
      age: '',
      gender: '',
      glasses: '',
      face_box: [],
      feature: [],
      reg_pic_key: '2024/05/02/box-a/e3/reg_pic.jpg',
      spot_pic_key: '2024/05/02/box-a/e3/spot_pic.jpg',
      ir_pic_key: '2024/05/02/box-a/e3/ir_pic.jpg',
      face_pic_key: '2024/05/02/box-a/e3/recognize_face.jpg',
      received_at: 1714612202,
      received_at_ms: 1714612202000,
      kafka_topic: 'history-events',
      kafka_partition: 0,
      kafka_offset: 102,
      ext_json: '{"firmware":"V5R3C01"}',
      inserted_at_ms: 1_714_651_200_002,
    });
  });

  it('keeps the milliseconds beside whole seconds, the face info, and unknown info fields in ext_json', () => {
    const recognised = message();
    recognised.event.timestamp = Date.parse('2024-05-01T23:30:00.250Z');
    const { fiqa_result: _absent, firmware: _known, ...ext } = recognised.event.ext_data;
    recognised.event.ext_data = { ...ext, info: { age: 'youth', gender: 'female', glasses: 'no', box: [1, 2, 3, 4], feature: [0.125, -0.5, 0.25], note: 'unknown info field' } };
    const row = historyEventRow(recognised, { topic: 't', partition: 0, offset: 0 });
    assert.equal(row.fiqa_result, null, 'fiqa_result absent');
    assert.equal(row.event_time, 1714606200, 'seconds are cut, the milliseconds stay in event_time_ms');
    assert.equal(row.event_time_ms, 1714606200250);
    assert.deepEqual([row.age, row.gender, row.glasses, row.face_box, row.feature], ['youth', 'female', 'no', [1, 2, 3, 4], [0.125, -0.5, 0.25]]);
    assert.equal(row.ext_json, '{"info":{"note":"unknown info field"}}');
  });

  it('keeps unknown top-level fields (V5R3C01 and V2R2C01 boxes add them there) in ext_json beside ext_data’s, but no picture or face vector', () => {
    const extended = message();
    // Never from the top: a face vector, a picture, face info (they belong in ext_data, whose columns hold them).
    const misplaced = { feature: [0.1, 0.2], spot_pic: '/9j/4AAQ', info: { feature: [0.5] }, dev_sno: 'other' };
    extended.event = { ...extended.event, ...misplaced, fiqa_result: false, firmware_build: 'V5R3C02', frame_id: 7, note: 'top' };
    extended.event.ext_data = { ...extended.event.ext_data, note: 'ext_data' };
    const row = historyEventRow(extended, { topic: 't', partition: 0, offset: 0 });
    assert.deepEqual(JSON.parse(row.ext_json), { firmware_build: 'V5R3C02', frame_id: 7, note: 'ext_data', firmware: 'V5R3C01' });
  });

  it('keeps an unknown field named __proto__ (an own field once parsed) as a field in ext_json', () => {
    const extended = message();
    extended.event.ext_data = { ...extended.event.ext_data, ...(JSON.parse('{"__proto__":{"polluted":1}}') as object) };
    extended.event.ext_data.info = JSON.parse('{"age":"youth","__proto__":[1]}') as NonNullable<HistoryEventMessage['event']['ext_data']['info']>;
    const row = historyEventRow(extended, { topic: 't', partition: 0, offset: 0 });
    assert.equal(row.ext_json, '{"firmware":"V5R3C01","__proto__":{"polluted":1},"info":{"__proto__":[1]}}');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('refuses a Kafka offset it cannot store exactly', () => {
    assert.throws(() => historyEventRow(message(), { topic: 't', partition: 0, offset: '9007199254740993' }), /not a usable integer/);
    assert.equal(historyEventRow(message(), { topic: 't', partition: 0, offset: '42' }).kafka_offset, 42);
  });
});

describe('historyEventRowLine', () => {
  const position = { topic: 'history-events', partition: 0, offset: '7' };

  /** The row (from the full decode) and the line (from the writer's decode) of an event as the gateway publishes it. */
  function lineFor(change: (e: any) => void) {
    const [published] = historyMessages(event('BOX-J', 1, change));
    const row = historyEventRow(decodeHistoryEventMessage(published!.value), position, 1_764_000_000_000);
    return { row, line: historyEventRowLine(decodeHistoryEventMessageKeepingFeatureJson(published!.value), position, 1_764_000_000_000) };
  }

  it('carries the feature vector as written, and says the same as JSON.stringify of the row', () => {
    const feature = Array.from({ length: 512 }, (_, i) => Math.sin(i) / 7);
    feature[3] = 1e-7;
    const { row, line } = lineFor((e) => (e.ext_data.info = { age: 'youth', box: [1, 2, 3, 4], feature }));
    assert.equal(row.feature.length, 512);
    assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(row)));
    assert.ok(line.includes(`"feature":${JSON.stringify(feature)}`));
  });

  it('says the same as JSON.stringify of the row when another field is named feature, or there is no feature', () => {
    const twice = lineFor((e) => {
      e.ext_data.vendor = { feature: [9, 9] };
      e.ext_data.info = { feature: [0.5, -0.25] };
    });
    assert.deepEqual(twice.row.feature, [0.5, -0.25]);
    assert.equal(twice.row.ext_json, '{"vendor":{"feature":[9,9]}}');
    assert.deepEqual(JSON.parse(twice.line), JSON.parse(JSON.stringify(twice.row)));

    const none = lineFor((e) => delete e.ext_data.info);
    assert.deepEqual(none.row.feature, []);
    assert.deepEqual(JSON.parse(none.line), JSON.parse(JSON.stringify(none.row)));
  });
});

/**
 * One small day of two boxes, shared by the 18.16 and the chdb tests so both servers must give
 * the same answers. Server zone Asia/Shanghai (UTC+8): every local time below is 2024-05-02.
 *
 * The rows are written as the tables' columns, not derived from events: this package knows
 * tables, not events (the services that write each table own the mapping, and test that their
 * rows carry exactly the table's columns).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { epochSeconds, splitSqlStatements } from '../src/index.js';

export const SERVER_TIMEZONE = 'Asia/Shanghai';
export const DATABASE = 'sophon';

const BOX_A = 'box-a';
const BOX_B = 'box-b';
const at = (isoUtc: string) => Date.parse(isoUtc);

/** The picture columns, and the file each object key ends in (the device's name for the picture). */
const PICTURE_FILES = { reg_pic_key: 'reg_pic', spot_pic_key: 'spot_pic', ir_pic_key: 'ir_pic', face_pic_key: 'recognize_face' } as const;
type PictureColumn = keyof typeof PICTURE_FILES;

interface Sample {
  id: string;
  devSno: string;
  timeUtc: string;
  identity: string;
  name: string;
  personType: 'employee' | 'visitor' | 'blacklist' | 'stranger' | 'vip';
  score: number;
  wantAction?: 'none' | 'new_stranger' | 'face_update';
  fiqa?: 0 | 1;
  face?: { age?: string; gender?: string; glasses?: string; box?: number[]; feature?: number[] };
  /** received_at - event time, ms. */
  lagMs?: number;
  pictures?: PictureColumn[];
  extJson?: string;
}

/** Where and when a row was written: the Kafka position and the ReplacingMergeTree version. */
interface Write {
  partition: number;
  offset: number;
  insertedAtMs: number;
  lagMs?: number;
}

/** A history_events row, every column. */
function historyEventRow(sample: Sample, write: Write) {
  const timestamp = at(sample.timeUtc);
  const receivedAt = timestamp + (write.lagMs ?? sample.lagMs ?? 2_000);
  const pictureKey = (column: PictureColumn) =>
    sample.pictures?.includes(column) ? `2024/05/02/${sample.devSno}/${sample.id}/${PICTURE_FILES[column]}.jpg` : '';
  return {
    event_id: sample.id,
    event_time: epochSeconds(timestamp),
    event_time_ms: timestamp,
    dev_sno: sample.devSno,
    ep_id: `${sample.devSno}__cam-1`,
    device_ip: sample.devSno === BOX_A ? '192.168.1.101' : '192.168.1.102',
    device_type: '0',
    identity_id: sample.identity,
    identity_name: sample.name,
    group_name: 'default_group',
    person_type: sample.personType,
    score: sample.score,
    // The rule the writer applies (normaliseScore): above 1 is a 0–100 score.
    score_normalised: Math.min(1, Math.max(0, sample.score > 1 ? sample.score / 100 : sample.score)),
    source_format: 'V5R3C01',
    want_action: sample.wantAction ?? 'none',
    fiqa_result: sample.fiqa ?? null,
    age: sample.face?.age ?? '',
    gender: sample.face?.gender ?? '',
    glasses: sample.face?.glasses ?? '',
    face_box: sample.face?.box ?? [],
    feature: sample.face?.feature ?? [],
    reg_pic_key: pictureKey('reg_pic_key'),
    spot_pic_key: pictureKey('spot_pic_key'),
    ir_pic_key: pictureKey('ir_pic_key'),
    face_pic_key: pictureKey('face_pic_key'),
    received_at: epochSeconds(receivedAt),
    received_at_ms: receivedAt,
    kafka_topic: 'history-events',
    kafka_partition: write.partition,
    kafka_offset: write.offset,
    ext_json: sample.extJson ?? '{}',
    inserted_at_ms: write.insertedAtMs,
  };
}

/** A row of `history_events`, as the fixtures write it. */
export type HistoryEventsRow = ReturnType<typeof historyEventRow>;

const youngWoman = (box: number[]) => ({ age: 'youth', gender: 'female', glasses: 'no', box, feature: [0.125, -0.5, 0.25] });

const samples: Record<string, Sample> = {
  e7: { id: 'e7', devSno: BOX_A, timeUtc: '2024-05-01T23:30:00.250Z', identity: 'emp-1', name: 'Alice', personType: 'employee', score: 0.9, face: youngWoman([10, 20, 110, 140]) },
  e1: { id: 'e1', devSno: BOX_A, timeUtc: '2024-05-02T00:59:00.000Z', identity: 'emp-1', name: 'Alice', personType: 'employee', score: 0.91, fiqa: 1, face: youngWoman([1, 2, 3, 4]), pictures: ['spot_pic_key', 'face_pic_key'] },
  e3: { id: 'e3', devSno: BOX_A, timeUtc: '2024-05-02T01:10:00.000Z', identity: '1714612200.123', name: 'stranger', personType: 'stranger', score: 0.2, wantAction: 'new_stranger', fiqa: 0, pictures: ['reg_pic_key', 'spot_pic_key', 'ir_pic_key', 'face_pic_key'], extJson: '{"firmware":"V5R3C01"}' },
  e2: { id: 'e2', devSno: BOX_A, timeUtc: '2024-05-02T10:05:00.000Z', identity: 'emp-1', name: 'Alice Chen', personType: 'employee', score: 0.88, lagMs: -1_500, face: youngWoman([5, 6, 7, 8]) },
  e4: { id: 'e4', devSno: BOX_B, timeUtc: '2024-05-02T01:20:00.000Z', identity: '1714612800.5', name: 'stranger', personType: 'stranger', score: 35, fiqa: 1, face: { age: 'child', gender: 'male' } },
  e5: { id: 'e5', devSno: BOX_B, timeUtc: '2024-05-02T02:00:00.000Z', identity: 'bl-1', name: 'Mallory', personType: 'blacklist', score: 0.95, pictures: ['spot_pic_key'] },
  e6: { id: 'e6', devSno: BOX_B, timeUtc: '2024-05-02T03:00:00.000Z', identity: 'vip-1', name: 'Victor', personType: 'vip', score: 1, face: { age: 'middle-aged', gender: 'male', glasses: 'yes' }, extJson: '{"info":{"note":"unknown info field"}}' },
};

export const UNIQUE_EVENTS = Object.keys(samples).length;

const samplesInOrder = Object.values(samples);
const firstInsert = at('2024-05-02T12:00:00Z');

/**
 * Every event once, plus two copies: e1 uploaded again by the box 5 minutes later (new
 * received_at, new Kafka offset, written later, so it wins), and e5 replayed from Kafka (same
 * content, new offset, written later).
 */
export function historyEventRows(): HistoryEventsRow[] {
  const rows = samplesInOrder.map((sample, index) => historyEventRow(sample, { partition: 0, offset: 100 + index, insertedAtMs: firstInsert + index }));
  const e1 = samples['e1'];
  const e5 = samples['e5'];
  assert.ok(e1 && e5);
  rows.push(historyEventRow(e1, { partition: 1, offset: 7, insertedAtMs: firstInsert + 60_000, lagMs: 300_000 }));
  rows.push(historyEventRow(e5, { partition: 0, offset: 200, insertedAtMs: firstInsert + 61_000 }));
  return rows;
}

/** The events in one insert, then each copy in an insert of its own (as retries arrive). */
export function insertBatches(rows: HistoryEventsRow[]): HistoryEventsRow[][] {
  return [rows.slice(0, UNIQUE_EVENTS), ...rows.slice(UNIQUE_EVENTS).map((row) => [row])];
}

/** A registrations row, every column. */
function registrationRow(eventTimeMs: number, decidedAtMs: number, columns: { event_id: string; action: 'new_stranger' | 'face_update'; identity_id: string; outcome: 'registered' | 'updated' | 'refused'; reason: string; face_pic_key: string }) {
  return {
    ...columns,
    dev_sno: BOX_A,
    group_name: 'default_group',
    event_time: epochSeconds(eventTimeMs),
    event_time_ms: eventTimeMs,
    decided_at: epochSeconds(decidedAtMs),
    decided_at_ms: decidedAtMs,
  };
}

/** A row of `registrations`, as the fixtures write it. */
export type RegistrationsRow = ReturnType<typeof registrationRow>;

/** e3's registration decided twice (a retry after a restart); e1's face update once. */
export function registrationRows(): RegistrationsRow[] {
  const e3Time = at(samples['e3']?.timeUtc ?? '');
  const e1Time = at(samples['e1']?.timeUtc ?? '');
  const e3 = { event_id: 'e3', action: 'new_stranger', identity_id: '1714612200.123', outcome: 'refused', face_pic_key: '2024/05/02/box-a/e3/recognize_face.jpg' } as const;
  return [
    registrationRow(e3Time, e3Time + 3_000, { ...e3, reason: 'fiqa_result is false: picture quality too poor' }),
    registrationRow(e3Time, e3Time + 45_000, { ...e3, reason: 'fiqa_result is false (retry)' }),
    registrationRow(e1Time, e1Time + 4_000, {
      event_id: 'e1',
      action: 'face_update',
      identity_id: 'emp-1',
      outcome: 'updated',
      reason: '',
      face_pic_key: '2024/05/02/box-a/e1/recognize_face.jpg',
    }),
  ];
}

export type SelectRows = (sql: string) => Promise<Record<string, unknown>[]>;

/** The rows' `fields`, every value as text (64-bit integers arrive quoted, others not). */
async function table(select: SelectRows, sql: string, fields: string[]): Promise<string[][]> {
  const rows = await select(sql);
  return rows.map((row) => fields.map((field) => (Array.isArray(row[field]) ? JSON.stringify(row[field]) : String(row[field]))));
}

const sum = (rows: string[][], column: number) => rows.reduce((total, row) => total + Number(row[column]), 0);

/** Every analyst view over the fixtures, each event counted once although e1 and e5 were written twice. */
export async function assertAnalystViews(select: SelectRows, database = DATABASE): Promise<void> {
  const db = `\`${database}\``;

  const events = await table(select, `SELECT event_id, kafka_offset, spot_pic_key, ext_json FROM ${db}.v_events ORDER BY event_id`, ['event_id', 'kafka_offset', 'spot_pic_key', 'ext_json']);
  assert.deepEqual(events.map(([id]) => id), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
  assert.deepEqual(events[0], ['e1', '7', '2024/05/02/box-a/e1/spot_pic.jpg', '{}'], 'the latest write of e1 wins');
  assert.deepEqual(events[2]?.[3], '{"firmware":"V5R3C01"}');
  assert.deepEqual(events[5]?.[3], '{"info":{"note":"unknown info field"}}');

  const perHour = await table(select, `SELECT dev_sno, hour, events, distinct_identities, stranger_events FROM ${db}.v_events_per_device_hour ORDER BY dev_sno, hour`, ['dev_sno', 'hour', 'events', 'distinct_identities', 'stranger_events']);
  assert.deepEqual(perHour, [
    ['box-a', '2024-05-02 07:00:00', '1', '1', '0'],
    ['box-a', '2024-05-02 08:00:00', '1', '1', '0'],
    ['box-a', '2024-05-02 09:00:00', '1', '1', '1'],
    ['box-a', '2024-05-02 18:00:00', '1', '1', '0'],
    ['box-b', '2024-05-02 09:00:00', '1', '1', '1'],
    ['box-b', '2024-05-02 10:00:00', '1', '1', '0'],
    ['box-b', '2024-05-02 11:00:00', '1', '1', '0'],
  ]);
  assert.equal(sum(perHour, 2), UNIQUE_EVENTS);

  // e7 is 2024-05-01 23:30 UTC: in the server's zone it is the morning of the 2nd.
  const attendance = await table(
    select,
    `SELECT day, identity_id, person_name, latest_person_type, first_seen, last_seen, first_seen_dev_sno, events FROM ${db}.v_attendance_daily ORDER BY identity_id`,
    ['day', 'identity_id', 'person_name', 'latest_person_type', 'first_seen', 'last_seen', 'first_seen_dev_sno', 'events'],
  );
  assert.deepEqual(attendance, [
    ['2024-05-02', 'bl-1', 'Mallory', 'blacklist', '2024-05-02 10:00:00', '2024-05-02 10:00:00', 'box-b', '1'],
    ['2024-05-02', 'emp-1', 'Alice Chen', 'employee', '2024-05-02 07:30:00', '2024-05-02 18:05:00', 'box-a', '3'],
    ['2024-05-02', 'vip-1', 'Victor', 'vip', '2024-05-02 11:00:00', '2024-05-02 11:00:00', 'box-b', '1'],
  ]);

  const strangers = await table(
    select,
    `SELECT day, dev_sno, stranger_events, distinct_strangers, poor_quality_events, registration_requests FROM ${db}.v_strangers_per_device_day ORDER BY dev_sno`,
    ['day', 'dev_sno', 'stranger_events', 'distinct_strangers', 'poor_quality_events', 'registration_requests'],
  );
  assert.deepEqual(strangers, [
    ['2024-05-02', 'box-a', '1', '1', '1', '1'],
    ['2024-05-02', 'box-b', '1', '1', '0', '0'],
  ]);

  const watchlist = await table(
    select,
    `SELECT event_time, event_id, person_type, identity_id, dev_sno, spot_pic_key, score_normalised, source_format FROM ${db}.v_watchlist_hits ORDER BY event_time`,
    ['event_time', 'event_id', 'person_type', 'identity_id', 'dev_sno', 'spot_pic_key', 'score_normalised', 'source_format'],
  );
  assert.deepEqual(watchlist, [
    ['2024-05-02 10:00:00', 'e5', 'blacklist', 'bl-1', 'box-b', '2024/05/02/box-b/e5/spot_pic.jpg', '0.95', 'V5R3C01'],
    ['2024-05-02 11:00:00', 'e6', 'vip', 'vip-1', 'box-b', '', '1', 'V5R3C01'],
  ]);

  const demographics = await table(
    select,
    `SELECT day, ep_id, age_group, gender_group, events, distinct_identities FROM ${db}.v_demographics_daily ORDER BY ep_id, age_group, gender_group`,
    ['day', 'ep_id', 'age_group', 'gender_group', 'events', 'distinct_identities'],
  );
  assert.deepEqual(demographics, [
    ['2024-05-02', 'box-a__cam-1', 'unknown', 'unknown', '1', '1'],
    ['2024-05-02', 'box-a__cam-1', 'youth', 'female', '3', '1'],
    ['2024-05-02', 'box-b__cam-1', 'child', 'male', '1', '1'],
    ['2024-05-02', 'box-b__cam-1', 'middle-aged', 'male', '1', '1'],
    ['2024-05-02', 'box-b__cam-1', 'unknown', 'unknown', '1', '1'],
  ]);

  const histogram = await table(select, `SELECT dev_sno, score_scale, bucket_from, events FROM ${db}.v_score_histogram ORDER BY dev_sno, score_scale, bucket_from`, ['dev_sno', 'score_scale', 'bucket_from', 'events']);
  assert.deepEqual(histogram, [
    ['box-a', '0-1', '20', '1'],
    ['box-a', '0-1', '85', '1'],
    ['box-a', '0-1', '90', '2'],
    ['box-b', '0-1', '95', '2'],
    ['box-b', '0-100', '35', '1'],
  ]);

  const lastSeen = await table(select, `SELECT dev_sno, last_ep_id, last_device_ip, last_event_time, hours_since_last_event > 24 AS silent_a_day FROM ${db}.v_device_last_seen ORDER BY dev_sno`, ['dev_sno', 'last_ep_id', 'last_device_ip', 'last_event_time', 'silent_a_day']);
  assert.deepEqual(lastSeen, [
    ['box-a', 'box-a__cam-1', '192.168.1.101', '2024-05-02 18:05:00', '1'],
    ['box-b', 'box-b__cam-1', '192.168.1.102', '2024-05-02 11:00:00', '1'],
  ]);

  // box-a: lags 2 s (e7), 300 s (e1: the re-upload won), 2 s (e3), -1.5 s (e2, clock ahead).
  const lag = await table(
    select,
    `SELECT dev_sno, events, avg_lag_seconds, p50_lag_seconds, max_lag_seconds, clock_ahead_events FROM ${db}.v_upload_lag_per_device_day ORDER BY dev_sno`,
    ['dev_sno', 'events', 'avg_lag_seconds', 'p50_lag_seconds', 'max_lag_seconds', 'clock_ahead_events'],
  );
  assert.deepEqual(lag, [
    ['box-a', '4', '75.625', '2', '300', '1'],
    ['box-b', '3', '2', '2', '2', '0'],
  ]);

  const registrations = await table(select, `SELECT event_id, action, outcome, reason FROM ${db}.v_registrations ORDER BY event_id`, ['event_id', 'action', 'outcome', 'reason']);
  assert.deepEqual(registrations, [
    ['e1', 'face_update', 'updated', ''],
    ['e3', 'new_stranger', 'refused', 'fiqa_result is false (retry)'],
  ]);
}

/** Names of the analyst views in `database`. */
export const ANALYST_VIEWS = [
  'v_events',
  'v_events_per_device_hour',
  'v_attendance_daily',
  'v_strangers_per_device_day',
  'v_watchlist_hits',
  'v_demographics_daily',
  'v_score_histogram',
  'v_device_last_seen',
  'v_upload_lag_per_device_day',
  'v_registrations',
  'v_device_deliveries',
  'v_device_status_latest',
  'v_device_cameras_latest',
  'v_cameras_offline',
  'v_device_silence',
  'v_firmware_versions',
  'v_device_health_alerts',
];

/** The example analyst queries of deploy/clickhouse/README.md, so the documentation keeps working. */
export async function readmeExampleQueries(): Promise<string[]> {
  const readme = await readFile(new URL('../../../deploy/clickhouse/README.md', import.meta.url), 'utf8');
  const block = /Example questions:\n+```sql\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README.md has an "Example questions:" sql block');
  return splitSqlStatements(block);
}

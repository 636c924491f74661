/**
 * The one owner of the `history_events` row: how a history-events message becomes a row of that
 * table, and how the row becomes the JSONEachRow line the writer sends.
 */
import { epochSeconds } from '@sophon/clickhouse';
import {
  normaliseScore,
  type HistoryEventMessage,
  type HistoryEventMessageWithFeatureJson,
  type PersonType,
  type PictureKind,
  type WantAction,
} from '@sophon/event-contract';

export type PersonTypeName = 'employee' | 'visitor' | 'blacklist' | 'stranger' | 'vip';
export type WantActionName = 'none' | 'new_stranger' | 'face_update';

/**
 * A row of `history_events`, every column (see insertRows). DateTime columns are epoch seconds:
 * a number is an instant to ClickHouse, where 'YYYY-MM-DD hh:mm:ss' text would be read in the
 * server's time zone.
 */
export interface HistoryEventRow {
  event_id: string;
  event_time: number;
  event_time_ms: number;
  dev_sno: string;
  ep_id: string;
  device_ip: string;
  device_type: string;
  identity_id: string;
  identity_name: string;
  group_name: string;
  person_type: PersonTypeName;
  score: number;
  /** The score on 0–1 whatever the firmware's scale (normaliseScore). */
  score_normalised: number;
  /** The firmware format the box posted (V5R3C01, V2R2C01, V5R6C01, V6R2C01); '' for older messages. */
  source_format: string;
  want_action: WantActionName;
  /** null when the device did not say. */
  fiqa_result: 0 | 1 | null;
  /** '' when absent, as are gender and glasses. */
  age: string;
  gender: string;
  glasses: string;
  /** [x1, y1, x2, y2], or [] when absent. */
  face_box: number[];
  feature: number[];
  /** Object keys of the pictures in the bucket, '' when the event had none of that kind. */
  reg_pic_key: string;
  spot_pic_key: string;
  ir_pic_key: string;
  face_pic_key: string;
  received_at: number;
  received_at_ms: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  /** The ext_data fields the contract does not name (unknown info fields under "info"), as JSON. */
  ext_json: string;
  /** ReplacingMergeTree version: the latest write of an event wins. */
  inserted_at_ms: number;
}

/** Where a history-events message was read from. kafkajs gives offsets as strings. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string | number;
}

export const PERSON_TYPE_NAMES: Readonly<Record<PersonType, PersonTypeName>> = {
  1: 'employee',
  2: 'visitor',
  3: 'blacklist',
  4: 'stranger',
  5: 'vip',
};

export const WANT_ACTION_NAMES: Readonly<Record<WantAction, WantActionName>> = {
  '0': 'none',
  '1001': 'new_stranger',
  '1002': 'face_update',
};

const PICTURE_COLUMNS: Readonly<Record<PictureKind, 'reg_pic_key' | 'spot_pic_key' | 'ir_pic_key' | 'face_pic_key'>> = {
  reg_pic: 'reg_pic_key',
  spot_pic: 'spot_pic_key',
  ir_pic: 'ir_pic_key',
  recognize_face: 'face_pic_key',
};

// Fields with a column of their own (pictures never reach the message, but if one did it must
// not land in ext_json as base64).
const EXT_DATA_COLUMNS = new Set(['device_ip', 'ep_id', 'dev_sno', 'person_type', 'device_type', 'fiqa_result', 'info', 'spot_pic', 'ir_pic', 'recognize_face']);
const INFO_COLUMNS = new Set(['age', 'gender', 'glasses', 'feature', 'box']);
// The event's own top-level fields (fiqa_result is read into ext_data.fiqa_result by the gateway),
// and names that never go to ext_json from the top: ext_data's own (a picture or face info sent
// at the wrong level) and `feature`, so no picture and no face vector reach the analysts' views.
const TOP_LEVEL_COLUMNS = new Set(['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action', 'fiqa_result', 'reg_pic', 'ext_data', 'feature', ...EXT_DATA_COLUMNS]);

/** The history_events row for a decoded history-events message. */
export function historyEventRow(message: HistoryEventMessage, position: KafkaPosition, insertedAtMs = Date.now()): HistoryEventRow {
  return { ...rowWithoutFeature(message, position, insertedAtMs), feature: numbersOrEmpty(message.event.ext_data.info?.feature) };
}

/**
 * The history_events row of a message decoded by decodeHistoryEventMessageKeepingFeatureJson, as
 * one JSONEachRow line. The 512-number feature vector is most of a row: its text goes in as the
 * gateway wrote it (formatting the doubles again was a quarter of the writer's CPU, parsing them
 * a fifth), every other column through JSON.stringify.
 */
export function historyEventRowLine({ message, featureJson }: HistoryEventMessageWithFeatureJson, position: KafkaPosition, insertedAtMs: number): string {
  const json = JSON.stringify(rowWithoutFeature(message, position, insertedAtMs));
  return `${json.slice(0, -1)},"feature":${featureJson}}`;
}

function rowWithoutFeature(message: HistoryEventMessage, position: KafkaPosition, insertedAtMs: number): Omit<HistoryEventRow, 'feature'> {
  const { event } = message;
  const ext = event.ext_data;
  const info = ext.info ?? {};
  const personType = PERSON_TYPE_NAMES[ext.person_type];
  if (personType === undefined) throw new RangeError(`unknown person_type ${String(ext.person_type)} in event ${message.event_id}`);
  const wantAction = WANT_ACTION_NAMES[event.want_action];
  if (wantAction === undefined) throw new RangeError(`unknown want_action ${String(event.want_action)} in event ${message.event_id}`);
  const offset = Number(position.offset);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Kafka offset ${position.offset} is not a usable integer`);

  const row: Omit<HistoryEventRow, 'feature'> = {
    event_id: message.event_id,
    event_time: epochSeconds(event.timestamp),
    event_time_ms: event.timestamp,
    dev_sno: ext.dev_sno,
    ep_id: ext.ep_id,
    device_ip: ext.device_ip,
    device_type: ext.device_type,
    identity_id: event.identity_id,
    identity_name: event.identity_name,
    group_name: event.group_name,
    person_type: personType,
    score: event.score,
    score_normalised: message.score_normalised ?? normaliseScore(event.score),
    source_format: message.source_format ?? '',
    want_action: wantAction,
    fiqa_result: ext.fiqa_result === undefined ? null : ext.fiqa_result ? 1 : 0,
    age: stringOrEmpty(info.age),
    gender: stringOrEmpty(info.gender),
    glasses: stringOrEmpty(info.glasses),
    face_box: numbersOrEmpty(info.box),
    reg_pic_key: '',
    spot_pic_key: '',
    ir_pic_key: '',
    face_pic_key: '',
    received_at: epochSeconds(message.received_at),
    received_at_ms: message.received_at,
    kafka_topic: position.topic,
    kafka_partition: position.partition,
    kafka_offset: offset,
    ext_json: JSON.stringify(unknownExtensionFields(event, ext, info)),
    inserted_at_ms: insertedAtMs,
  };
  for (const picture of message.pictures) row[PICTURE_COLUMNS[picture.kind]] = picture.object_key;
  return row;
}

/**
 * Fields the contract does not name: ext_data's, the event's own top-level ones (V5R3C01 and
 * V2R2C01 boxes add some there; the flat formats' already sit in ext_data) and info's under
 * "info". A top-level field named like an ext_data field the contract does not name gives way to it.
 */
function unknownExtensionFields(event: Record<string, unknown>, ext: Record<string, unknown>, info: Record<string, unknown>): Record<string, unknown> {
  // Plain loops into prototype-less objects: no entry arrays per row, and a field named __proto__
  // (JSON.parse makes it an own field) stays a field.
  const unknown: Record<string, unknown> = Object.create(null);
  for (const field of Object.keys(event)) if (!TOP_LEVEL_COLUMNS.has(field)) unknown[field] = event[field];
  for (const field of Object.keys(ext)) if (!EXT_DATA_COLUMNS.has(field)) unknown[field] = ext[field];
  let unknownInfo: Record<string, unknown> | undefined;
  for (const field of Object.keys(info)) if (!INFO_COLUMNS.has(field)) (unknownInfo ??= Object.create(null))[field] = info[field];
  if (unknownInfo !== undefined) unknown['info'] = unknownInfo;
  return unknown;
}

const stringOrEmpty = (value: unknown): string => (typeof value === 'string' ? value : '');
const numbersOrEmpty = (value: unknown): number[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'number') ? value : [];

import { ContractError } from '../errors.js';
import { HEADERS, SCHEMA_VERSION } from '../headers.js';
import type { NormalisedHistoryEvent, PictureKind } from './types.js';
import { historyEventMessageSchemaErrors } from './validators.js';

/** One picture of an event, as referenced from the history-events message. */
export interface PictureRef {
  kind: PictureKind;
  content_type: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
  object_key: string;
}

/** The value (JSON) of a message on the history-events topic; key = dev_sno. */
export interface HistoryEventMessage {
  schema_version: typeof SCHEMA_VERSION;
  kind: 'history-event';
  event_id: string;
  /** When the gateway received the event, ms since the epoch. */
  received_at: number;
  /**
   * The firmware format the box sent (see README "Event formats"); the event is always in the
   * canonical shape whatever it was. Absent on messages written before formats were told apart
   * (those were V5R3C01 or V2R2C01).
   */
  source_format?: string;
  /** `event.score` on a 0–1 scale (see normaliseScore); absent on messages written before it existed. */
  score_normalised?: number;
  /** Pictures removed, unknown fields kept (a flat format's fields without a canonical place are in ext_data). */
  event: NormalisedHistoryEvent;
  pictures: PictureRef[];
}

/** The headers of a message on the event-images topic (value = the raw image bytes, key = event id). */
export type ImageMessageHeaders = {
  'event-id': string;
  'picture-kind': PictureKind;
  'content-type': string;
  'object-key': string;
  sha256: string;
  'schema-version': string;
  'dev-sno': string;
};

/**
 * The message's value. `featureJson`, a feature vector kept as the text the box sent (see
 * parseUploadKeepingFeatureJson), becomes `event.ext_data.info.feature` as it is: writing 512
 * doubles back as text was a tenth of a small event's CPU at the gateway. An event with no `info`
 * to hold it, or a feature of its own, cannot take it: that throws, rather than publish the event
 * without the vector it came with (the adapter quarantines the event, vector included).
 */
export function encodeHistoryEventMessage(message: HistoryEventMessage, featureJson?: string): Buffer {
  if (featureJson === undefined) return Buffer.from(JSON.stringify(message));
  const info = message.event.ext_data.info;
  if (info === undefined || info.feature !== undefined) throw new Error('the feature vector kept as text has no place in the normalised event');
  const withPlaceholder = { ...message, event: { ...message.event, ext_data: { ...message.event.ext_data, info: { ...info, feature: [] as number[] } } } };
  const text = JSON.stringify(withPlaceholder);
  const at = text.indexOf(FEATURE_PLACEHOLDER);
  if (at >= 0 && at === text.lastIndexOf(FEATURE_PLACEHOLDER)) {
    const start = at + FEATURE_PLACEHOLDER.length - 2; // the "[]"
    return Buffer.from(`${text.slice(0, start)}${featureJson}${text.slice(start + 2)}`);
  }
  // Another "feature":[] in the text (an unknown field's): the vector as numbers, as always.
  withPlaceholder.event.ext_data.info.feature = JSON.parse(featureJson) as number[];
  return Buffer.from(JSON.stringify(withPlaceholder));
}

const FEATURE_PLACEHOLDER = '"feature":[]';

/** For consumers: parses and validates a history-events message value; throws ContractError on anything malformed. */
export function decodeHistoryEventMessage(value: Buffer): HistoryEventMessage {
  return decodeHistoryEventMessageText(value.toString('utf8'));
}

/** decodeHistoryEventMessage of a value already decoded to text. */
export function decodeHistoryEventMessageText(text: string): HistoryEventMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (cause) {
    throw new ContractError('history-events message is not JSON', { cause });
  }
  const errors = historyEventMessageSchemaErrors(message);
  if (errors.length > 0) {
    const details = errors.map((error) => `${error.pointer || '(message)'} ${error.message}`).join('; ');
    throw new ContractError(`invalid history-events message: ${details}`, { errors });
  }
  return message as HistoryEventMessage;
}

/** The message when `text` is a valid one, else undefined: for a fast path that leaves describing a refusal to decodeHistoryEventMessage. */
export function parseValidHistoryEventMessage(text: string): HistoryEventMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  return historyEventMessageSchemaErrors(message).length === 0 ? (message as HistoryEventMessage) : undefined;
}

const PICTURE_KINDS: ReadonlySet<string> = new Set<PictureKind>(['reg_pic', 'spot_pic', 'ir_pic', 'recognize_face']);

/** Kafka header values as clients deliver them (kafkajs: Buffer, string, arrays of them, or undefined). */
export type RawHeaders = Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>;

/** For consumers of event-images: reads and checks the headers; throws ContractError when one is missing or wrong. */
export function decodeImageMessageHeaders(headers: RawHeaders): ImageMessageHeaders {
  const read = (name: string): string => {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value.length === 0) throw new ContractError(`event-images message has no "${name}" header`);
    return value.toString();
  };
  const decoded: ImageMessageHeaders = {
    [HEADERS.eventId]: read(HEADERS.eventId),
    [HEADERS.pictureKind]: read(HEADERS.pictureKind) as PictureKind,
    [HEADERS.contentType]: read(HEADERS.contentType),
    [HEADERS.objectKey]: read(HEADERS.objectKey),
    [HEADERS.sha256]: read(HEADERS.sha256),
    [HEADERS.schemaVersion]: read(HEADERS.schemaVersion),
    [HEADERS.devSno]: read(HEADERS.devSno),
  };
  if (!PICTURE_KINDS.has(decoded[HEADERS.pictureKind])) {
    throw new ContractError(`event-images message has an unknown picture-kind "${decoded[HEADERS.pictureKind]}"`);
  }
  if (decoded[HEADERS.schemaVersion] !== String(SCHEMA_VERSION)) {
    throw new ContractError(`event-images message has schema-version "${decoded[HEADERS.schemaVersion]}", expected "${SCHEMA_VERSION}"`);
  }
  return decoded;
}

import type { OutboundMessage, ParseContext, ParseResult, UploadAdapter } from '../adapter.js';
import { parseUploadKeepingFeatureJson, withFeatureRestored } from './feature-json.js';
import { HEADERS, SCHEMA_VERSION } from '../headers.js';
import type { Topics } from '../topics.js';
import { encodeHistoryEventMessage, type HistoryEventMessage, type ImageMessageHeaders, type PictureRef } from './message.js';
import { claimedDevSno, normaliseHistoryEvent, type NormaliseResult } from './normalise.js';
import { objectKeyFor } from './object-key.js';
import { normaliseScore } from './score.js';

export const HISTORY_EVENT_ADAPTER_NAME = 'history-event';

/**
 * The HistoryEvent upload: one event becomes one event-images message per picture (raw bytes,
 * key = event id) followed by one history-events message (JSON, key = dev_sno, so one device's
 * events stay in order on one partition). Images come first so that a consumer that sees the event
 * can expect its pictures to be in Kafka already.
 */
export function createHistoryEventAdapter(options: { topics: Topics; maxPictureBytes: number }): UploadAdapter {
  const { topics, maxPictureBytes } = options;
  return {
    name: HISTORY_EVENT_ADAPTER_NAME,
    claimedDevSno,
    parseJson: parseUploadKeepingFeatureJson,
    parse(raw, ctx) {
      let result: ParseResult;
      try {
        result = toMessages(normaliseHistoryEvent(raw, ctx, { maxPictureBytes }), ctx, topics);
      } catch (error) {
        // The contract is "never throws": an unforeseen failure is this item's error, so the item
        // is quarantined and the rest of its batch is unaffected.
        result = { ok: false, errors: [{ pointer: '', message: `could not be read: ${(error as Error)?.message ?? String(error)}` }] };
      }
      // A refused event is quarantined as the box sent it: its feature vector back in place.
      if (!result.ok && ctx.featureJson !== undefined) return { ...result, raw: withFeatureRestored(raw, ctx.featureJson) };
      return result;
    },
  };
}

function toMessages(normalised: NormaliseResult, ctx: ParseContext, topics: Topics): ParseResult {
  if (!normalised.ok) return normalised;
  const { event, pictures, eventId, sourceFormat } = normalised;
  const devSno = event.ext_data.dev_sno;
  const schemaVersion = String(SCHEMA_VERSION);

  const messages: OutboundMessage[] = [];
  const refs: PictureRef[] = [];
  for (const picture of pictures) {
    const objectKey = objectKeyFor({ devSno, eventId, timestamp: event.timestamp, kind: picture.kind, imageType: picture.imageType });
    refs.push({ kind: picture.kind, content_type: picture.contentType, size: picture.bytes.length, sha256: picture.sha256, object_key: objectKey });
    const headers: ImageMessageHeaders = {
      [HEADERS.eventId]: eventId,
      [HEADERS.pictureKind]: picture.kind,
      [HEADERS.contentType]: picture.contentType,
      [HEADERS.objectKey]: objectKey,
      [HEADERS.sha256]: picture.sha256,
      [HEADERS.schemaVersion]: schemaVersion,
      [HEADERS.devSno]: devSno,
    };
    messages.push({ topic: topics.eventImages, key: eventId, value: picture.bytes, headers });
  }

  const message: HistoryEventMessage = {
    schema_version: SCHEMA_VERSION,
    kind: 'history-event',
    event_id: eventId,
    received_at: Math.round(ctx.receivedAt), // the message schema wants integer ms
    source_format: sourceFormat,
    score_normalised: normaliseScore(event.score),
    event,
    pictures: refs,
  };
  messages.push({
    topic: topics.historyEvents,
    key: devSno,
    // The vector kept as text goes in as it came; normalising dropped the empty array in its place.
    value: encodeHistoryEventMessage(message, ctx.featureJson),
    headers: {
      [HEADERS.eventId]: eventId,
      [HEADERS.wantAction]: event.want_action,
      [HEADERS.schemaVersion]: schemaVersion,
      [HEADERS.devSno]: devSno,
      [HEADERS.sourceFormat]: sourceFormat,
      [HEADERS.contentType]: 'application/json',
    },
  });
  return { ok: true, eventId, devSno, messages };
}

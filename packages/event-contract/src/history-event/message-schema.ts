import { IMAGE_TYPES } from '../pictures.js';
import { HISTORY_EVENT_SCHEMA_ID, type JsonSchemaObject } from './schema.js';

export const HISTORY_EVENT_MESSAGE_SCHEMA_ID = 'urn:sophon:schema:history-event-message:1';

const pictureRefSchema = {
  type: 'object',
  title: 'Picture reference',
  description: 'One picture of the event; its bytes are the event-images message with the same event-id and picture-kind.',
  required: ['kind', 'content_type', 'size', 'sha256', 'object_key'],
  properties: {
    kind: { type: 'string', enum: ['reg_pic', 'spot_pic', 'ir_pic', 'recognize_face'], title: 'Which picture of the event' },
    content_type: { type: 'string', enum: Object.values(IMAGE_TYPES).map((type) => type.contentType), title: 'MIME type, by magic bytes' },
    size: { type: 'integer', minimum: 1, title: 'Size in bytes' },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', title: 'SHA-256 of the bytes, lowercase hex' },
    object_key: { type: 'string', minLength: 1, maxLength: 1024, title: 'Object-store key the picture is written to' },
  },
};

/** The value of a message on the history-events topic (JSON). */
export const historyEventMessageSchema: JsonSchemaObject = {
  $id: HISTORY_EVENT_MESSAGE_SCHEMA_ID,
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'history-events message',
  description: 'A normalised HistoryEvent without its pictures, plus references to the pictures published on event-images.',
  type: 'object',
  required: ['schema_version', 'kind', 'event_id', 'received_at', 'event', 'pictures'],
  properties: {
    schema_version: { type: 'integer', const: 1 },
    kind: { type: 'string', const: 'history-event' },
    event_id: { type: 'string', pattern: '^[0-9a-f]{32}$', title: 'Deterministic event id (see deriveEventId)' },
    received_at: { type: 'integer', minimum: 0, title: 'When the gateway received the event, ms since the epoch' },
    // Optional: messages written before issue 9 lack them and must still decode.
    source_format: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,32}$',
      title: 'Firmware format the event was sent in',
      description: 'V5R3C01, V2R2C01, V5R6C01 or V6R2C01 (new formats may be added). Absent: written before formats were told apart.',
    },
    score_normalised: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      title: 'Match score on a 0–1 scale',
      description: 'event.score when it is at most 1, else event.score / 100, clamped to [0, 1] (normaliseScore).',
    },
    event: { $ref: HISTORY_EVENT_SCHEMA_ID },
    pictures: { type: 'array', maxItems: 4, items: pictureRefSchema },
  },
};

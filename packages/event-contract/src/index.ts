export type { FieldError } from './errors.js';
export { ContractError } from './errors.js';
export type { OutboundMessage, ParseContext, ParsedUpload, ParseResult, UploadAdapter } from './adapter.js';
export { DEFAULT_TOPICS, type Topics } from './topics.js';
export { HEADERS, SCHEMA_VERSION } from './headers.js';
export { buildQuarantineMessage, MAX_QUARANTINE_RECORD_BYTES, type QuarantineInput, type QuarantineMessage } from './quarantine.js';
export { MAX_KEPT_STRING_CHARS, type OmittedValue } from './quarantine-raw.js';
export { jsonPointer } from './json-pointer.js';
export {
  decodePicture,
  IMAGE_TYPES,
  sniffImageType,
  type DecodedImage,
  type DecodePictureResult,
  type ImageType,
} from './pictures.js';

export {
  HISTORY_EVENT_SCHEMA_ID,
  historyEventSchema,
  MAX_DEV_SNO_LENGTH,
  TIMESTAMP_MAX_MS,
  TIMESTAMP_MIN_MS,
  type JsonSchemaObject,
} from './history-event/schema.js';
export { HISTORY_EVENT_MESSAGE_SCHEMA_ID, historyEventMessageSchema } from './history-event/message-schema.js';
export {
  PICTURE_FIELDS,
  type ExtData,
  type FaceAge,
  type FaceInfo,
  type HistoryEvent,
  type NormalisedExtData,
  type NormalisedHistoryEvent,
  type PersonType,
  type PictureKind,
  type WantAction,
} from './history-event/types.js';
export { claimedDevSno, normaliseHistoryEvent, type DecodedPicture, type NormaliseResult } from './history-event/normalise.js';
export { deriveEventId, EVENT_ID_DERIVATION } from './history-event/event-id.js';
export { detectFormat, SOURCE_FORMATS, type SourceFormat } from './history-event/formats/detect.js';
export { USER_TYPES } from './history-event/formats/v6r2.js';
export { decodeFeatureBase64, type FeatureResult } from './history-event/feature.js';
export { normaliseScore } from './history-event/score.js';
export { keySafeDevSno, objectKeyFor } from './history-event/object-key.js';
export {
  decodeHistoryEventMessage,
  decodeImageMessageHeaders,
  encodeHistoryEventMessage,
  type HistoryEventMessage,
  type ImageMessageHeaders,
  type PictureRef,
  type RawHeaders,
} from './history-event/message.js';
export { decodeHistoryEventMessageKeepingFeatureJson, type HistoryEventMessageWithFeatureJson } from './history-event/message-feature-json.js';
export { createHistoryEventAdapter, HISTORY_EVENT_ADAPTER_NAME } from './history-event/adapter.js';
export * from './device-status/index.js';
export * from './face-registration.js';

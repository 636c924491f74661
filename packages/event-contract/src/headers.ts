/** Kafka header names used by every message of the contract. */
export const HEADERS = Object.freeze({
  eventId: 'event-id',
  wantAction: 'want-action',
  schemaVersion: 'schema-version',
  devSno: 'dev-sno',
  pictureKind: 'picture-kind',
  contentType: 'content-type',
  objectKey: 'object-key',
  sha256: 'sha256',
  adapter: 'adapter',
  /** history-events: the firmware format the event came in (V5R3C01, V2R2C01, V5R6C01, V6R2C01). */
  sourceFormat: 'source-format',
} as const);

/** Version of every message body and header set defined here; bumped on incompatible changes. */
export const SCHEMA_VERSION = 1;

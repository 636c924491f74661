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
} as const);

/** Version of every message body and header set defined here; bumped on incompatible changes. */
export const SCHEMA_VERSION = 1;

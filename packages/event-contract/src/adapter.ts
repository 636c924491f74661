import type { FieldError } from './errors.js';

/** A Kafka record ready to publish. */
export interface OutboundMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface ParseContext {
  /** Milliseconds since the epoch, gateway clock. */
  receivedAt: number;
  /** The device the request's auth token is bound to, if any. */
  boundDevSno?: string;
  /**
   * One map shared by the items of one upload (a batch): items that are otherwise identical, such
   * as two faces of one frame with nothing else to tell them apart, get distinct event ids by their
   * order in the upload. The adapter updates it. Omitted: the item is alone.
   */
  sameUpload?: Map<string, number>;
  /**
   * The item's feature vector kept as text by the adapter's own parseJson (the item holds an empty
   * array in its place). Only for the item parseJson read, never for an item of a batch.
   */
  featureJson?: string;
}

/** An upload's JSON as an adapter's parseJson reads it: the value, and a part it kept as text. */
export interface ParsedUpload {
  value: unknown;
  featureJson?: string;
}

export type ParseResult =
  | { ok: true; eventId: string; devSno: string; messages: OutboundMessage[] }
  | {
      ok: false;
      errors: FieldError[];
      devSno?: string;
      /** The item as sent, for the quarantine, when parse was given it with a part kept as text (ParseContext.featureJson). */
      raw?: unknown;
    };

/**
 * One kind of upload (HistoryEvent today; the box's /DeviceStatus report or other firmware formats
 * later) turned into Kafka messages. The gateway only knows this interface.
 */
export interface UploadAdapter {
  readonly name: string;
  /** Never throws: anything wrong with `raw` comes back as `{ ok: false, errors }`. */
  parse(raw: unknown, ctx: ParseContext): ParseResult;
  /**
   * The device `raw` says it comes from, read cheaply (no decoding, no validation) so that an upload
   * for another device is refused before any expensive work; undefined when it names none.
   */
  claimedDevSno(raw: unknown): string | undefined;
  /**
   * JSON.parse of a body of this kind (UTF-8 bytes, no BOM), where the adapter reads some of it
   * cheaper as text (the HistoryEvent's feature vector); what it keeps as text comes back to parse
   * in ParseContext. Throws what JSON.parse throws. Absent: JSON.parse of the decoded bytes.
   */
  parseJson?(body: Buffer): ParsedUpload;
}

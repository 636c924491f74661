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
}

export type ParseResult =
  | { ok: true; eventId: string; devSno: string; messages: OutboundMessage[] }
  | { ok: false; errors: FieldError[]; devSno?: string };

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
}

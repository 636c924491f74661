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
}

import type { OutboundMessage } from './adapter.js';
import type { FieldError } from './errors.js';
import { HEADERS, SCHEMA_VERSION } from './headers.js';
import { sha256, summariseRaw, type OmittedValue } from './quarantine-raw.js';

/**
 * Largest quarantine record by default: fits every topic of deploy/kafka/topics.json (history-events
 * allows 2 MiB) with room for Kafka's record overhead, so a quarantine send never fails for size.
 */
export const MAX_QUARANTINE_RECORD_BYTES = 512 * 1024;
/** Errors kept per record; the adapter reports at most ~100. */
const MAX_KEPT_ERRORS = 101;
const HEAD_CHARS = 4096;

/** The value (JSON) of a message on the quarantine topic: an upload that was refused, kept for triage and replay. */
export interface QuarantineMessage {
  schema_version: typeof SCHEMA_VERSION;
  kind: 'quarantine';
  /** Name of the UploadAdapter that refused it. */
  adapter: string;
  received_at: number;
  /** HTTP path the upload arrived on. */
  path: string;
  remote_address?: string;
  dev_sno?: string;
  errors: FieldError[];
  /**
   * The parsed JSON element as sent (one event of a batch), when the body was JSON; strings over
   * 256 characters (pictures) are replaced by a summary (see OmittedValue), and a raw value whose
   * JSON would not fit the record is replaced by its size, hash and first characters.
   */
  raw?: unknown;
  /** The body as text, when it was not JSON at all; cut to fit the record (raw_text_omitted tells). */
  raw_text?: string;
  raw_text_omitted?: { chars: number; sha256: string };
}

export interface QuarantineInput {
  topic: string;
  receivedAt: number;
  adapter: string;
  errors: FieldError[];
  raw: unknown | undefined;
  rawText?: string;
  devSno?: string;
  path: string;
  remoteAddress?: string;
  /** Bound on the record's value; defaults to MAX_QUARANTINE_RECORD_BYTES. */
  maxBytes?: number;
}

/** A quarantine record of at most `maxBytes`; key = dev_sno, or "unknown" when the device could not be told. */
export function buildQuarantineMessage(input: QuarantineInput): OutboundMessage {
  const maxBytes = input.maxBytes ?? MAX_QUARANTINE_RECORD_BYTES;
  const base: QuarantineMessage = {
    schema_version: SCHEMA_VERSION,
    kind: 'quarantine',
    adapter: input.adapter,
    received_at: input.receivedAt,
    path: input.path,
    ...(input.remoteAddress === undefined ? {} : { remote_address: input.remoteAddress }),
    ...(input.devSno === undefined ? {} : { dev_sno: input.devSno }),
    errors: input.errors.length > MAX_KEPT_ERRORS ? input.errors.slice(0, MAX_KEPT_ERRORS) : input.errors,
  };
  let value: Buffer = Buffer.from(JSON.stringify(base));
  if (input.raw !== undefined) value = withRaw(base, summariseRaw(input.raw), maxBytes);
  if (input.rawText !== undefined) value = withRawText(base, input.rawText, maxBytes);

  const headers: Record<string, string> = {
    [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
    [HEADERS.contentType]: 'application/json',
    [HEADERS.adapter]: input.adapter,
  };
  if (input.devSno !== undefined) headers[HEADERS.devSno] = input.devSno;
  return { topic: input.topic, key: input.devSno ?? 'unknown', value, headers };
}

function withRaw(base: QuarantineMessage, raw: unknown, maxBytes: number): Buffer {
  const value = Buffer.from(JSON.stringify({ ...base, raw }));
  if (value.length <= maxBytes) return value;
  // Even without pictures it is too big (a huge array, thousands of keys): keep what identifies it.
  const json = Buffer.from(JSON.stringify(raw));
  const omitted: OmittedValue = { omitted: 'text', chars: json.length, sha256: sha256(json), head: json.toString('utf8', 0, HEAD_CHARS) };
  return Buffer.from(JSON.stringify({ ...base, raw: omitted }));
}

function withRawText(base: QuarantineMessage, rawText: string, maxBytes: number): Buffer {
  // A character takes at least one byte, so more than maxBytes characters never fit.
  let kept = rawText.length > maxBytes ? rawText.slice(0, maxBytes) : rawText;
  let omitted: QuarantineMessage['raw_text_omitted'];
  for (;;) {
    if (kept.length < rawText.length) omitted ??= { chars: rawText.length, sha256: sha256(Buffer.from(rawText, 'utf8')) };
    const message: QuarantineMessage = { ...base, raw_text: kept, ...(omitted ? { raw_text_omitted: omitted } : {}) };
    const value = Buffer.from(JSON.stringify(message));
    // Escapes (binary text becomes \uXXXX) can take six bytes a character: halve until it fits.
    if (value.length <= maxBytes || kept.length === 0) return value;
    kept = kept.slice(0, Math.floor(kept.length / 2));
  }
}

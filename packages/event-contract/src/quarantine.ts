import type { OutboundMessage } from './adapter.js';
import type { FieldError } from './errors.js';
import { HEADERS, SCHEMA_VERSION } from './headers.js';

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
  /** The parsed JSON element as sent (one event of a batch), when the body was JSON. */
  raw?: unknown;
  /** The body as text, when it was not JSON at all. */
  raw_text?: string;
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
}

/** A quarantine record; key = dev_sno, or "unknown" when the device could not be told. */
export function buildQuarantineMessage(input: QuarantineInput): OutboundMessage {
  const message: QuarantineMessage = {
    schema_version: SCHEMA_VERSION,
    kind: 'quarantine',
    adapter: input.adapter,
    received_at: input.receivedAt,
    path: input.path,
    ...(input.remoteAddress === undefined ? {} : { remote_address: input.remoteAddress }),
    ...(input.devSno === undefined ? {} : { dev_sno: input.devSno }),
    errors: input.errors,
    ...(input.raw === undefined ? {} : { raw: input.raw }),
    ...(input.rawText === undefined ? {} : { raw_text: input.rawText }),
  };
  const headers: Record<string, string> = {
    [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
    [HEADERS.contentType]: 'application/json',
    [HEADERS.adapter]: input.adapter,
  };
  if (input.devSno !== undefined) headers[HEADERS.devSno] = input.devSno;
  return { topic: input.topic, key: input.devSno ?? 'unknown', value: Buffer.from(JSON.stringify(message)), headers };
}

import { createHash } from 'node:crypto';
import type { ParseContext } from '../adapter.js';
import type { FieldError } from '../errors.js';
import { SCHEMA_VERSION } from '../headers.js';
import { MAX_DEV_SNO_LENGTH } from '../history-event/schema.js';
import { isPlainObject } from '../values.js';
import { detectStatusFormat, fromV5R3, fromV6R2 } from './formats.js';
import type { DeviceStatusMessage } from './types.js';

export type NormaliseStatusResult = { ok: true; message: DeviceStatusMessage } | { ok: false; errors: FieldError[]; devSno?: string };

/** Re-sends of one report within this window share its report_id (see reportId). */
const SAME_REPORT_WINDOW_MS = 60_000;

/**
 * One status report, in either format, as the canonical device-status message. Every problem
 * comes back at once, each with a pointer into the report as sent; `raw` is not modified and is
 * kept whole in the message.
 */
export function normaliseDeviceStatus(raw: unknown, ctx: ParseContext): NormaliseStatusResult {
  const bound = ctx.boundDevSno || undefined;
  if (!isPlainObject(raw)) return { ok: false, errors: [{ pointer: '', message: 'must be a JSON object (one device status report)' }], devSno: bound };
  const detection = detectStatusFormat(raw);
  if (!detection.ok) return { ok: false, errors: detection.errors, devSno: bound };
  const errors: FieldError[] = [];
  const converted = detection.format === 'V5R3C01' ? fromV5R3(raw, errors) : fromV6R2(raw, errors);
  const devSnoField = detection.format === 'V5R3C01' ? '/dev_sno' : '/mq_license_key';
  if (converted.devSno === '') errors.push({ pointer: devSnoField, message: 'must not be empty' });
  if (converted.devSno !== null && converted.devSno.length > MAX_DEV_SNO_LENGTH) {
    errors.push({ pointer: devSnoField, message: `must be at most ${MAX_DEV_SNO_LENGTH} characters long` });
  }
  if (errors.length > 0 || !converted.devSno) return { ok: false, errors, devSno: converted.devSno || bound };

  const devSno = converted.devSno;
  const receivedAt = Math.round(ctx.receivedAt);
  const canonical = { source_format: detection.format, dev_sno: devSno, box: converted.box, cameras: converted.cameras };
  return {
    ok: true,
    message: {
      schema_version: SCHEMA_VERSION,
      kind: 'device-status',
      report_id: reportId(canonical, receivedAt),
      received_at: receivedAt,
      ...canonical,
      report: raw,
    },
  };
}

/**
 * A report has no time or id of its own. Its id is a hash of what it says and the minute it was
 * received: a Kafka replay (same message) and a box's retry within that minute (same content)
 * share it, so ClickHouse keeps one row; the next periodic report is a new minute, a new row.
 */
function reportId(canonical: object, receivedAt: number): string {
  const minute = Math.floor(receivedAt / SAME_REPORT_WINDOW_MS);
  return createHash('sha256').update(`${minute}\n${JSON.stringify(canonical)}`).digest('hex');
}

/** The device a report claims to come from (dev_sno or mq_license_key), read without validating anything. */
export function claimedStatusDevSno(raw: unknown): string | undefined {
  if (!isPlainObject(raw)) return undefined;
  const claimed = raw['mq_license_key'] ?? raw['dev_sno'];
  return typeof claimed === 'string' && claimed.trim() !== '' ? claimed.trim() : undefined;
}

import type { FieldError } from '@sophon/event-contract';
import { errorBody, HttpError } from '../http/http-error.js';

/** What became of one item of an upload. */
export type ItemOutcome = { index: number; status: 'accepted'; event_id: string } | { index: number; status: 'quarantined'; errors: FieldError[] };

/** The answer's body and status; the route sends it. */
export interface UploadAnswer {
  status: number;
  body: unknown;
}

/**
 * The answer once every item is durably in Kafka, accepted or quarantined. A box treats any non-2xx
 * as a failed upload and re-sends the same batch every cycle with its cursor stuck, so a quarantined
 * event is answered 200 too: the box has handed it over. A client that wants invalid events as hard
 * errors asks with `?strict=1` and gets 400 for a lone invalid event or an all-invalid batch.
 */
export function answerFor(outcomes: ItemOutcome[], isBatch: boolean, strict: boolean): UploadAnswer {
  const accepted = outcomes.filter((outcome) => outcome.status === 'accepted').length;
  const quarantined = outcomes.length - accepted;
  if (!isBatch) {
    const only = outcomes[0]!;
    if (only.status === 'accepted') return { status: 200, body: { data: { event_id: only.event_id, status: 'accepted' } } };
    if (strict) throw new HttpError(400, 'INVALID_ARGUMENT', `the event is invalid: ${describe(only.errors)}`, { errors: only.errors });
    return { status: 200, body: { data: { status: 'quarantined', errors: only.errors } } };
  }
  const summary = { accepted, quarantined, events: outcomes };
  if (strict && accepted === 0) throw new HttpError(400, 'INVALID_ARGUMENT', `all ${quarantined} events of the batch are invalid`, summary);
  return { status: 200, body: { data: summary } };
}

/** A body that never became JSON (it is quarantined as text): answered like a lone invalid event. */
export function answerForUnreadable(error: FieldError, strict: boolean): UploadAnswer {
  if (strict) return { status: 400, body: errorBody(new HttpError(400, 'INVALID_ARGUMENT', error.message, { errors: [error] })) };
  return { status: 200, body: { data: { status: 'quarantined', errors: [error] } } };
}

/** `?strict=1` (or `true`): the client wants invalid events answered 400 (see answerFor). */
export function isStrictRequest(query: Record<string, unknown>): boolean {
  const value = query['strict'];
  return value === '1' || value === 'true';
}

function describe(errors: FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.pointer || '(event)'} ${e.message}`);
  return shown.join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : '');
}

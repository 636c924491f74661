import { createHash } from 'node:crypto';
import type { NormalisedHistoryEvent } from './types.js';

/** Versions the derivation below; a new derivation must use a new tag so old and new ids never mix silently. */
export const EVENT_ID_DERIVATION = 'history-event/v1';

/**
 * The event id: the first 32 lowercase hex characters (128 bits) of SHA-256 over the JSON text of
 *
 *   ["history-event/v1", dev_sno, ep_id, timestamp_ms, identity_id, box | null, sha256(recognize_face bytes) | null]
 *
 * taken from the normalised event (so a timestamp sent as seconds and the same instant sent as
 * milliseconds give the same id). A device re-sending an event (uploads are at-least-once) gets
 * the same id; two faces of one frame (same device and timestamp) differ by identity, box or face
 * crop. The receive time, names and score are deliberately left out: they do not identify the event
 * (and a re-upload may carry a rescaled score). A JSON array is unambiguous where joined strings
 * are not ("a|b","c" vs "a","b|c").
 */
export function deriveEventId(event: NormalisedHistoryEvent, recognizeFaceSha256: string | undefined): string {
  const identity = [
    EVENT_ID_DERIVATION,
    event.ext_data.dev_sno,
    event.ext_data.ep_id,
    event.timestamp,
    event.identity_id,
    event.ext_data.info?.box ?? null,
    recognizeFaceSha256 ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

import { createHash } from 'node:crypto';
import type { NormalisedHistoryEvent } from './types.js';

/** Versions the derivation below; a new derivation must use a new tag so old and new ids never mix silently. */
export const EVENT_ID_DERIVATION = 'history-event/v2';

/**
 * The event id: the first 32 lowercase hex characters (128 bits) of SHA-256 over the JSON text of
 *
 *   ["history-event/v2", dev_sno, ep_id, timestamp_ms, identity_id, box | null, sha256(recognize_face bytes) | null, occurrence]
 *
 * taken from the normalised event (so a timestamp sent as seconds and the same instant sent as
 * milliseconds give the same id). A device re-sending an event (uploads are at-least-once) gets
 * the same id; two faces of one frame (same device and timestamp) differ by identity, box or face
 * crop. When none of these tells them apart (no crop, no box, one identity), `occurrence` does: the
 * number of earlier items of the same upload with the same identity (0 for the first). A re-sent
 * upload holds them in the same order, so the ids are stable for a retry, and an event without a
 * twin always has occurrence 0, so the same event sent alone (real-time) and in a history batch
 * keeps one id. The scene picture is deliberately left out: both faces share it, so it tells them
 * nothing, and a re-upload with pictures left out would otherwise change the id. So are the
 * receive time, names and score: they do not identify the event (a re-upload may carry a rescaled
 * score). A JSON array is unambiguous where joined strings are not ("a|b","c" vs "a","b|c").
 *
 * v1 (until issue 8) was the same array without `occurrence`: twin faces collided.
 *
 * `sameUpload` counts identities already given an id in this upload; it is updated.
 */
export function deriveEventId(event: NormalisedHistoryEvent, recognizeFaceSha256: string | undefined, sameUpload?: Map<string, number>): string {
  const identity = [
    EVENT_ID_DERIVATION,
    event.ext_data.dev_sno,
    event.ext_data.ep_id,
    event.timestamp,
    event.identity_id,
    event.ext_data.info?.box ?? null,
    recognizeFaceSha256 ?? null,
  ];
  const key = JSON.stringify(identity);
  const occurrence = sameUpload?.get(key) ?? 0;
  sameUpload?.set(key, occurrence + 1);
  // The text of [...identity, occurrence], without writing the identity out a second time.
  return createHash('sha256').update(`${key.slice(0, -1)},${occurrence}]`).digest('hex').slice(0, 32);
}

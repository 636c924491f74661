import { createHash } from 'node:crypto';

/** Versions the derivation below; a new derivation needs a new tag so old and new ids never mix silently. */
export const STRANGER_IDENTITY_DERIVATION = 'stranger-identity/v1';

/**
 * The platform identity of a stranger a box asks us to register (want_action 1001):
 *
 *   "stranger-" + the first 24 lowercase hex characters (96 bits) of SHA-256 over the JSON text of
 *   ["stranger-identity/v1", dev_sno, identity_id]
 *
 * where identity_id is the box's own id for the stranger (e.g. "1602612036.3828533").
 *
 * - Deterministic, so a replay of history-events or a device re-upload maps to the id already
 *   issued instead of minting a second identity (nothing to look up, nothing to lose).
 * - Built from the stranger, not from the event: the same stranger asked for twice (two events,
 *   two event ids) is one identity, and the second command updates it on the boxes.
 * - dev_sno is included because a box numbers its strangers on its own; two boxes can use the
 *   same number for different people.
 * - Hashed rather than concatenated: the result is short, has no characters the boxes or object
 *   keys might object to, and a JSON array is unambiguous where joined strings are not.
 */
export function strangerIdentityId(devSno: string, boxIdentityId: string): string {
  const identity = [STRANGER_IDENTITY_DERIVATION, devSno, boxIdentityId];
  return `stranger-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24)}`;
}

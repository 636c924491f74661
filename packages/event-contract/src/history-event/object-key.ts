import { createHash } from 'node:crypto';
import { IMAGE_TYPES, type ImageType } from '../pictures.js';
import type { PictureKind } from './types.js';

const UNSAFE_KEY_CHARACTERS = /[^A-Za-z0-9._-]/g;
const MAX_DEV_SNO_KEY_LENGTH = 64;
const HASH_SUFFIX = /--[0-9a-f]{16}$/;

/**
 * dev_sno as one object-key path segment. Safe serials ([A-Za-z0-9._-], up to 64 characters, not
 * starting with ".") are kept as they are; anything else has unsafe characters replaced by "_", is
 * cut to 64 characters and gets "--" + 16 hex of its SHA-256, so two serials never share a folder.
 * A safe serial that itself ends like such a suffix is hashed too, keeping both sets disjoint.
 */
export function keySafeDevSno(devSno: string): string {
  const safe = devSno.replace(UNSAFE_KEY_CHARACTERS, '_');
  const unchanged = safe === devSno && safe.length > 0 && safe.length <= MAX_DEV_SNO_KEY_LENGTH;
  if (unchanged && !safe.startsWith('.') && !HASH_SUFFIX.test(safe)) return safe;
  const hash = createHash('sha256').update(devSno).digest('hex').slice(0, 16);
  return `${safe.slice(0, MAX_DEV_SNO_KEY_LENGTH)}--${hash}`;
}

/**
 * `${yyyy}/${mm}/${dd}/${dev_sno}/${event_id}/${kind}.${ext}`: the date is the event time in UTC,
 * dev_sno is made key-safe (keySafeDevSno) and ext follows the sniffed image type. Deterministic, so
 * a re-sent event overwrites its own pictures instead of adding copies.
 */
export function objectKeyFor(picture: {
  devSno: string;
  eventId: string;
  timestamp: number;
  kind: PictureKind;
  imageType: ImageType;
}): string {
  const date = new Date(picture.timestamp);
  if (Number.isNaN(date.getTime())) throw new RangeError(`objectKeyFor: invalid timestamp ${picture.timestamp}`);
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}/${keySafeDevSno(picture.devSno)}/${picture.eventId}/${picture.kind}.${IMAGE_TYPES[picture.imageType].extension}`;
}

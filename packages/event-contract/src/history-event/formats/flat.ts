import type { FieldError } from '../../errors.js';
import { jsonPointer } from '../../json-pointer.js';
import { describeValue, isPlainObject } from '../../values.js';
import { decodeFeatureBase64 } from '../feature.js';

export type Fields = Record<string, unknown>;

/**
 * A flat-format body (V5R6C01, V6R2C01) rewritten into the nested V5R3C01 shape, values still as
 * sent, for the one normalisation that follows. `pointers` maps each canonical place back to where
 * the value was sent ([canonical, sent], most specific first), so every error points into the body
 * the box sent; `errors` are the converter's own, already at sent pointers.
 */
export interface Converted {
  event: Fields;
  pointers: [canonical: string, sent: string][];
  errors: FieldError[];
}

/** Top-level fields of the canonical event; anything else a flat body sends is kept in ext_data. */
const CANONICAL_TOP_LEVEL = new Set(['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action', 'reg_pic']);
const CANONICAL_EXT_DATA = new Set(['device_ip', 'ep_id', 'dev_sno', 'person_type', 'device_type', 'fiqa_result', 'info', 'spot_pic', 'ir_pic', 'recognize_face']);

/**
 * Capture-device kinds (V5R6C01 ep_type, V6R2C01 media_device_type) as the canonical device_type
 * digits: "photo" (gates and snapshot cameras push photos) is "1" snapshot camera, "rtsp" and
 * "gb28181" (video streams; V6R2C01's event table omits gb28181, its status report lists it for
 * the same cameras) and "file" (a video file) are "3" IPC dynamic, "card" (ID-card verification) is
 * "4" access control. The word as sent stays in ext_data.ep_info / media_device_info.
 */
const DEVICE_TYPES: Readonly<Record<string, string>> = { photo: '1', rtsp: '3', gb28181: '3', file: '3', card: '4' };

export function deviceTypeFor(value: unknown, pointer: string, errors: FieldError[]): string | undefined {
  if (value === undefined || value === null) return undefined; // the schema reports it as required
  if (typeof value === 'string' && Object.hasOwn(DEVICE_TYPES, value)) return DEVICE_TYPES[value];
  errors.push({ pointer, message: `must be one of ${Object.keys(DEVICE_TYPES).map((type) => JSON.stringify(type)).join(', ')} (got ${describeValue(value)})` });
  return undefined;
}

/**
 * recognize_face_attr as ext_data.info: the attributes keep their names; a base64 feature
 * (`binaryFields`, first present wins) becomes the number list `feature`. A non-empty `feature` list
 * sent beside it must agree with it. Attributes the canonical info has no place for (point, mask,
 * hat, expression) are kept as sent.
 */
export function faceInfo(attr: unknown, sentAt: string, binaryFields: readonly string[], converted: Converted): Fields | undefined {
  if (attr === undefined || attr === null) return undefined;
  converted.pointers.push(['/ext_data/info', sentAt]);
  if (!isPlainObject(attr)) {
    converted.errors.push({ pointer: sentAt, message: `must be an object (got ${describeValue(attr)})` });
    return undefined;
  }
  const info: Fields = { ...attr };
  const binaryField = binaryFields.find((field) => info[field] !== undefined && info[field] !== null && info[field] !== '');
  for (const field of binaryFields) delete info[field];
  if (binaryField === undefined) {
    converted.pointers.push(['/ext_data/info/feature', `${sentAt}/feature`]);
    return info;
  }
  const pointer = `${sentAt}${jsonPointer(binaryField)}`;
  const decoded = decodeFeatureBase64(attr[binaryField]);
  if (!decoded.ok) {
    converted.errors.push({ pointer, message: decoded.message });
    return info;
  }
  const listed = info['feature'];
  if (Array.isArray(listed) && listed.length > 0 && JSON.stringify(listed) !== JSON.stringify(decoded.feature)) {
    converted.errors.push({ pointer: `${sentAt}/feature`, message: `disagrees with ${binaryField}: send the feature once` });
  }
  info['feature'] = decoded.feature;
  converted.pointers.push(['/ext_data/info/feature', pointer]);
  return info;
}

/** A sub-object of the body, or undefined with an error when it is there but not an object. */
export function objectAt(raw: Fields, field: string, errors: FieldError[]): Fields | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (isPlainObject(value)) return value;
  errors.push({ pointer: jsonPointer(field), message: `must be an object (got ${describeValue(value)})` });
  return undefined;
}

/**
 * Copies the canonical top-level fields and keeps every other field of the body that `consumed`
 * does not name in ext_data under its own name (so it reaches the stored ext_json), unless the
 * name is one of ext_data's canonical fields: then it stays at the top, as V5R3C01 extras do.
 */
export function splitTopLevel(raw: Fields, consumed: ReadonlySet<string>): { event: Fields; ext: Fields } {
  const event: Fields = {};
  const ext: Fields = {};
  for (const [field, value] of Object.entries(raw)) {
    if (consumed.has(field)) continue;
    if (CANONICAL_TOP_LEVEL.has(field) || CANONICAL_EXT_DATA.has(field)) event[field] = value;
    else ext[field] = value;
  }
  event['ext_data'] = ext;
  return { event, ext };
}

/** Sets a field unless the value is undefined (absent stays absent, so the schema can say "is required"). */
export function put(target: Fields, field: string, value: unknown): void {
  if (value !== undefined) target[field] = value;
}

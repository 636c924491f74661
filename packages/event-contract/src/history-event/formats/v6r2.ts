import type { ParseContext } from '../../adapter.js';
import { describeValue } from '../../values.js';
import { type Converted, deviceTypeFor, faceInfo, type Fields, objectAt, put, splitTopLevel } from './flat.js';

const CONSUMED = new Set(['post_action', 'user_type', 'mq_license_key', 'reg_image', 'spot_image', 'ir_image', 'recognize_face_image', 'recognize_face_attr']);

/** user_type words as person_type (the mapping is one to one, so the word itself is not kept). */
export const USER_TYPES: Readonly<Record<string, number>> = { employee: 1, visitor: 2, blacklist: 3, stranger: 4, vip: 5 };

const PICTURES: readonly [sent: string, canonical: string, canonicalPointer: string][] = [
  ['reg_image', 'reg_pic', '/reg_pic'],
  ['spot_image', 'spot_pic', '/ext_data/spot_pic'],
  ['ir_image', 'ir_pic', '/ext_data/ir_pic'],
  ['recognize_face_image', 'recognize_face', '/ext_data/recognize_face'],
];

/**
 * V6R2C01 ("api_version": "2.0"): renamed fields, no group_name (stored as ""), no fiqa. The
 * capture device (media_device_info) becomes ep_id `${mq_license_key}__${media_device_id}` (the
 * documented "<box>__<capture device>" form; `__${media_device_ip}` when the id is missing),
 * device_ip and device_type; media_device_info itself, api_version, in_timestamp, out_timestamp and
 * anything else without a canonical place are kept in ext_data as sent. An empty mq_license_key
 * falls back to the token's device.
 */
export function fromV6R2(raw: Fields, ctx: ParseContext): Converted {
  const converted: Converted = { event: {}, pointers: [], errors: [] };
  const { event, ext } = splitTopLevel(raw, CONSUMED);
  converted.event = event;
  if (!('group_name' in event)) event['group_name'] = '';
  put(event, 'want_action', raw['post_action']);

  const device = objectAt(raw, 'media_device_info', converted.errors);
  const licenseKey = raw['mq_license_key'];
  const devSno = licenseKey === undefined || licenseKey === null || licenseKey === '' ? ctx.boundDevSno || undefined : licenseKey;
  put(ext, 'dev_sno', devSno);
  put(ext, 'device_ip', device?.['media_device_ip']);
  put(ext, 'device_type', deviceTypeFor(device?.['media_device_type'], '/media_device_info/media_device_type', converted.errors));
  const mediaDeviceId = device?.['media_device_id'];
  if (mediaDeviceId !== undefined && mediaDeviceId !== null && typeof mediaDeviceId !== 'string') {
    converted.errors.push({ pointer: '/media_device_info/media_device_id', message: `must be a string (got ${describeValue(mediaDeviceId)})` });
  }
  const captureId = nonEmpty(mediaDeviceId) ?? nonEmpty(device?.['media_device_ip']);
  if (typeof devSno === 'string' && devSno !== '' && captureId !== undefined) ext['ep_id'] = `${devSno}__${captureId}`;
  put(ext, 'person_type', personType(raw['user_type'], converted));
  for (const [sent, canonical] of PICTURES) put(canonical === 'reg_pic' ? event : ext, canonical, raw[sent]);
  put(ext, 'info', faceInfo(raw['recognize_face_attr'], '/recognize_face_attr', ['feature_base64_str', 'feature_binary'], converted));

  converted.pointers.push(
    ['/want_action', '/post_action'],
    ['/ext_data/dev_sno', '/mq_license_key'],
    ['/ext_data/device_ip', '/media_device_info/media_device_ip'],
    ['/ext_data/device_type', '/media_device_info/media_device_type'],
    ['/ext_data/ep_id', '/media_device_info/media_device_id'],
    ['/ext_data/person_type', '/user_type'],
    ...PICTURES.map(([sent, , canonicalPointer]): [string, string] => [canonicalPointer, `/${sent}`]),
  );
  return converted;
}

function personType(value: unknown, converted: Converted): number | undefined {
  if (value === undefined || value === null) return undefined; // the default (employee) applies, as in V5R3C01
  if (typeof value === 'string' && Object.hasOwn(USER_TYPES, value)) return USER_TYPES[value];
  const known = Object.keys(USER_TYPES).map((type) => JSON.stringify(type)).join(', ');
  converted.errors.push({ pointer: '/user_type', message: `must be one of ${known} (got ${describeValue(value)})` });
  return undefined;
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

import type { ParseContext } from '../../adapter.js';
import { type Converted, deviceTypeFor, faceInfo, type Fields, objectAt, put, splitTopLevel } from './flat.js';

const CONSUMED = new Set(['person_type', 'dev_sno', 'spot_pic', 'ir_pic', 'recognize_face', 'recognize_face_attr']);

/**
 * V5R6C01, the flat format: pictures, person_type and dev_sno at the top, the capture device in
 * ep_info, face attributes in recognize_face_attr, no group_name (stored as ""). ep_info,
 * identity_info, out_timestamp and anything else without a canonical place are kept in ext_data as
 * sent.
 *
 * dev_sno: the vendor's own example sends "". Then the token's device (ctx.boundDevSno) is the box,
 * else the part of ep_info.ep_id before "__" (that example's ep_id is "<id>__rtsp://…"; the binding
 * wins because it is authenticated and the prefix's meaning is undocumented here), else it is missing.
 */
export function fromV5R6(raw: Fields, ctx: ParseContext): Converted {
  const converted: Converted = { event: {}, pointers: [], errors: [] };
  const { event, ext } = splitTopLevel(raw, CONSUMED);
  converted.event = event;
  if (!('group_name' in event)) event['group_name'] = '';

  const epInfo = objectAt(raw, 'ep_info', converted.errors);
  put(ext, 'ep_id', epInfo?.['ep_id']);
  put(ext, 'device_ip', epInfo?.['ep_ip']);
  put(ext, 'device_type', deviceTypeFor(epInfo?.['ep_type'], '/ep_info/ep_type', converted.errors));
  put(ext, 'person_type', raw['person_type']);
  put(ext, 'dev_sno', devSno(raw['dev_sno'], epInfo?.['ep_id'], ctx));
  for (const picture of ['spot_pic', 'ir_pic', 'recognize_face']) put(ext, picture, raw[picture]);
  put(ext, 'info', faceInfo(raw['recognize_face_attr'], '/recognize_face_attr', ['feature_binary', 'feature_base64_str'], converted));

  converted.pointers.push(
    ['/ext_data/ep_id', '/ep_info/ep_id'],
    ['/ext_data/device_ip', '/ep_info/ep_ip'],
    ['/ext_data/device_type', '/ep_info/ep_type'],
    ['/ext_data/person_type', '/person_type'],
    ['/ext_data/dev_sno', '/dev_sno'],
    ['/ext_data/spot_pic', '/spot_pic'],
    ['/ext_data/ir_pic', '/ir_pic'],
    ['/ext_data/recognize_face', '/recognize_face'],
  );
  return converted;
}

function devSno(sent: unknown, epId: unknown, ctx: ParseContext): unknown {
  if (sent !== undefined && sent !== null && sent !== '') return sent; // a wrong type is the schema's to report
  if (ctx.boundDevSno) return ctx.boundDevSno;
  if (typeof epId !== 'string') return undefined;
  const separator = epId.indexOf('__');
  return separator > 0 ? epId.slice(0, separator) : undefined;
}

import type { FieldError } from '../../errors.js';
import { jsonPointer } from '../../json-pointer.js';

/** The firmware dialects of the HistoryEvent upload, named after the vendor documentation they follow. */
export const SOURCE_FORMATS = ['V5R3C01', 'V2R2C01', 'V5R6C01', 'V6R2C01'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** The top-level fields each format's documentation marks as required (what "closest" is measured on). */
const REQUIRED_FIELDS: Readonly<Record<SourceFormat, readonly string[]>> = {
  V5R3C01: ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action', 'ext_data'],
  V2R2C01: ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'ext_data'],
  V5R6C01: ['identity_id', 'identity_name', 'identity_info', 'timestamp', 'score', 'want_action', 'person_type', 'out_timestamp', 'ep_info', 'dev_sno'],
  V6R2C01: [
    'api_version', 'identity_id', 'identity_name', 'timestamp', 'score', 'post_action', 'user_type',
    'in_timestamp', 'out_timestamp', 'media_device_info', 'mq_license_key',
  ],
};

/** Fields only V6R2C01 has; any one of them decides. */
const V6R2_MARKERS = ['api_version', 'post_action', 'user_type', 'media_device_info', 'mq_license_key'];
/** Fields of the flat V5R6C01 body that the nested formats (ext_data) do not have at the top. */
const V5R6_MARKERS = ['ep_info', 'identity_info', 'recognize_face_attr', 'out_timestamp'];
/** V2R2C01's quality blocks (the only shape difference from V5R3C01, besides its missing want_action). */
const V2R2_MARKERS = ['box_fiqa_info', 'grab_fiqa_info'];

export type Detection = { ok: true; format: SourceFormat } | { ok: false; errors: FieldError[] };

/**
 * The format of one event, by shape. The nested formats are recognised by `ext_data` (present in any
 * form: a wrong one is then reported by the schema), V6R2C01 by one of its own fields, V5R6C01 by
 * one of its flat fields. A body with none of these names the formats tried and what the closest one
 * lacks (the format with the most of its required fields present; ties go to the older format).
 */
export function detectFormat(raw: Record<string, unknown>): Detection {
  const has = (field: string) => raw[field] !== undefined && raw[field] !== null;
  if (raw['ext_data'] !== undefined) {
    const ext = raw['ext_data'];
    const isV2R2 = typeof ext === 'object' && ext !== null && V2R2_MARKERS.some((field) => Object.hasOwn(ext, field));
    return { ok: true, format: isV2R2 ? 'V2R2C01' : 'V5R3C01' };
  }
  if (V6R2_MARKERS.some(has)) return { ok: true, format: 'V6R2C01' };
  if (V5R6_MARKERS.some(has)) return { ok: true, format: 'V5R6C01' };

  let closest: { format: SourceFormat; missing: string[] } | undefined;
  for (const format of SOURCE_FORMATS) {
    const missing = REQUIRED_FIELDS[format].filter((field) => !has(field));
    const present = REQUIRED_FIELDS[format].length - missing.length;
    if (closest === undefined || present > REQUIRED_FIELDS[closest.format].length - closest.missing.length) closest = { format, missing };
  }
  const { format, missing } = closest!;
  return {
    ok: false,
    errors: [
      {
        pointer: '',
        message: `matches no known event format (tried ${SOURCE_FORMATS.join(', ')}); the closest, ${format}, lacks ${missing.join(', ')}`,
      },
      ...missing.map((field) => ({ pointer: jsonPointer(field), message: 'is required' })),
    ],
  };
}

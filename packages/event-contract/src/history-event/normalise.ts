import type { ParseContext } from '../adapter.js';
import type { FieldError } from '../errors.js';
import { jsonPointer } from '../json-pointer.js';
import { decodePicture, type DecodedImage } from '../pictures.js';
import { describeValue, isPlainObject } from '../values.js';
import { asBoolean, coerceInteger, coerceNumber, coerceNumberToString, coerceTimestampMs, coerceWantAction } from './coerce.js';
import { deriveEventId } from './event-id.js';
import { detectFormat, type SourceFormat } from './formats/detect.js';
import type { Converted } from './formats/flat.js';
import { addV2R2FaceAttributes } from './formats/v2r2.js';
import { fromV5R6 } from './formats/v5r6.js';
import { fromV6R2 } from './formats/v6r2.js';
import { MAX_DEV_SNO_LENGTH } from './schema.js';
import { PICTURE_FIELDS, type NormalisedHistoryEvent, type PictureKind } from './types.js';
import { historyEventSchemaErrors } from './validators.js';

export interface DecodedPicture extends DecodedImage {
  kind: PictureKind;
}

export type NormaliseResult =
  | { ok: true; event: NormalisedHistoryEvent; pictures: DecodedPicture[]; eventId: string; sourceFormat: SourceFormat }
  | { ok: false; errors: FieldError[]; devSno?: string };

/** A device sending thousands of bad feature values gets the first errors (and a count), not a megabyte of them. */
const MAX_REPORTED_ERRORS = 100;

type Fields = Record<string, unknown>;

/**
 * Turns one event as a device sends it, in any known firmware format (see formats/detect.ts), into
 * the normalised form of V5R3C01, validates it against
 * `historyEventSchema`, and decodes its pictures (removed from the event). `raw` is not modified.
 *
 * - `null` counts as absent where absence has a meaning (pictures, info and its attributes,
 *   fiqa_result, the defaulted want_action / person_type, the derivable dev_sno / ep_id, for which
 *   "" is absent too); for other required fields it is reported as a wrong type.
 * - ext_data.dev_sno, when absent, is the part of ext_data.ep_id before the first "__", else
 *   ctx.boundDevSno (the device the upload token belongs to).
 * - ext_data.ep_id, when absent, is `${dev_sno}__${device_ip}` (the documented ep_id format).
 * - All errors of the event come back together, each with a pointer into the event as sent.
 */
export function normaliseHistoryEvent(
  raw: unknown,
  ctx: ParseContext,
  options: { maxPictureBytes: number },
): NormaliseResult {
  if (!isPlainObject(raw)) {
    return failure([{ pointer: '', message: 'must be a JSON object (one HistoryEvent)' }], ctx.boundDevSno || undefined);
  }
  const detection = detectFormat(raw);
  if (!detection.ok) return failure(detection.errors, ctx.boundDevSno || undefined);
  const sourceFormat = detection.format;
  // The flat formats are first rewritten into the nested shape (values as sent); the rest is shared.
  const converted = toNestedShape(sourceFormat, raw, ctx);
  const nested = converted.event;

  const errors: FieldError[] = [];
  // Shallow copies of the levels we change: `raw` may still be needed as sent (quarantine).
  const event: Fields = { ...nested };
  normaliseTopLevel(event);
  const ext = isPlainObject(nested['ext_data']) ? { ...nested['ext_data'] } : undefined;
  if (ext) {
    event['ext_data'] = ext;
    normaliseExtData(ext, ctx);
    resolveFiqaResult(event, ext, errors);
  }
  const pictures = extractPictures(event, ext, options, errors);
  // Schema errors first; their count is bounded at the source (concat, never a spread of them all).
  const all = historyEventSchemaErrors(event, MAX_REPORTED_ERRORS - errors.length - converted.errors.length).concat(errors);

  if (all.length > 0 || converted.errors.length > 0) return failure(asSent(all, converted), determinedDevSno(ext, ctx));
  const normalised = event as NormalisedHistoryEvent;
  const face = pictures.find((picture) => picture.kind === 'recognize_face');
  const eventId = deriveEventId(normalised, face?.sha256, ctx.sameUpload);
  if (sourceFormat === 'V2R2C01') addV2R2FaceAttributes(normalised);
  return { ok: true, event: normalised, pictures, eventId, sourceFormat };
}

function toNestedShape(format: SourceFormat, raw: Fields, ctx: ParseContext): Converted {
  if (format === 'V5R6C01') return fromV5R6(raw, ctx);
  if (format === 'V6R2C01') return fromV6R2(raw, ctx);
  return { event: raw, pointers: [], errors: [] }; // V5R3C01 and V2R2C01 are the nested shape
}

/**
 * Errors found on the nested shape, pointed back at the fields the box sent; the converter's own
 * errors first. An error under a field the converter already refused (ep_info not an object, say)
 * says nothing new and is left out.
 */
function asSent(errors: FieldError[], converted: Converted): FieldError[] {
  if (converted.pointers.length === 0) return converted.errors.concat(errors);
  const pointers = [...converted.pointers].sort(([a], [b]) => b.length - a.length);
  const refused = converted.errors.map((error) => error.pointer);
  const mapped = errors.map((error) => {
    const match = pointers.find(([canonical]) => error.pointer === canonical || error.pointer.startsWith(`${canonical}/`));
    return match ? { ...error, pointer: match[1] + error.pointer.slice(match[0].length) } : error;
  });
  const said = mapped.filter((error) => !refused.some((pointer) => error.pointer === pointer || error.pointer.startsWith(`${pointer}/`)));
  return converted.errors.concat(said);
}

/**
 * The device an item claims to come from, read without decoding or validating anything: what
 * normalisation would take as dev_sno (V5R3C01/V2R2C01: ext_data.dev_sno, else the ep_id prefix;
 * V5R6C01: dev_sno; V6R2C01: mq_license_key), or undefined when the item names none. Authorisation runs on this before any picture is decoded.
 */
export function claimedDevSno(raw: unknown): string | undefined {
  if (!isPlainObject(raw)) return undefined;
  const detection = detectFormat(raw);
  if (!detection.ok) return undefined;
  // V5R6C01: only its own dev_sno; an empty one is the token's device (see formats/v5r6.ts).
  if (detection.format === 'V6R2C01' || detection.format === 'V5R6C01') {
    const claimed = raw[detection.format === 'V6R2C01' ? 'mq_license_key' : 'dev_sno'];
    return typeof claimed === 'string' && claimed !== '' ? claimed : undefined;
  }
  const ext = raw['ext_data'];
  if (!isPlainObject(ext)) return undefined;
  const devSno = ext['dev_sno'];
  if (isAbsent(devSno) || devSno === '') return devSnoFromEpId(ext['ep_id']);
  return typeof devSno === 'string' ? devSno : undefined;
}

function normaliseTopLevel(event: Fields): void {
  for (const field of ['identity_id', 'identity_name', 'group_name']) coerceField(event, field, coerceNumberToString);
  coerceField(event, 'timestamp', coerceTimestampMs);
  coerceField(event, 'score', coerceNumber);
  // Old firmware (V2R2C01) has no want_action; "0" is the documented default.
  if (isAbsent(event['want_action'])) event['want_action'] = '0';
  else coerceField(event, 'want_action', coerceWantAction);
}

function normaliseExtData(ext: Fields, ctx: ParseContext): void {
  if (isAbsent(ext['person_type'])) ext['person_type'] = 1; // spec: employee is the default, also when missing
  else coerceField(ext, 'person_type', coerceInteger);
  coerceField(ext, 'device_type', coerceNumberToString);

  // "" is taken as absent too: these two are derivable, and an empty serial identifies nothing.
  if (isAbsent(ext['dev_sno']) || ext['dev_sno'] === '') setOrDelete(ext, 'dev_sno', devSnoFromEpId(ext['ep_id']) ?? (ctx.boundDevSno || undefined));
  if (isAbsent(ext['ep_id']) || ext['ep_id'] === '') {
    const { dev_sno: devSno, device_ip: deviceIp } = ext;
    setOrDelete(ext, 'ep_id', isNonEmptyString(devSno) && isNonEmptyString(deviceIp) ? `${devSno}__${deviceIp}` : undefined);
  }

  if (ext['info'] === null) delete ext['info'];
  else if (isPlainObject(ext['info'])) ext['info'] = normaliseInfo(ext['info']);
}

/** Attribute detection is often off: empty attributes mean "not extracted". */
function normaliseInfo(raw: Fields): Fields {
  const info: Fields = { ...raw };
  for (const field of ['age', 'gender', 'glasses']) if (info[field] === '' || info[field] === null) delete info[field];
  for (const field of ['feature', 'box']) {
    const value = info[field];
    if (value === null || (Array.isArray(value) && value.length === 0)) delete info[field];
  }
  return info;
}

/**
 * fiqa_result moves to its canonical place ext_data.fiqa_result, taken from the first of
 * ext_data.fiqa_result, a top-level fiqa_result, ext_data.box_fiqa_info.fiqa_result (V2R2C01).
 * The originals elsewhere stay where they were.
 */
function resolveFiqaResult(event: Fields, ext: Fields, errors: FieldError[]): void {
  if (!isAbsent(ext['fiqa_result'])) {
    coerceField(ext, 'fiqa_result', (value) => asBoolean(value) ?? value); // the schema reports what is left
    return;
  }
  delete ext['fiqa_result'];
  const boxFiqaInfo = ext['box_fiqa_info'];
  const fallbacks = [
    { pointer: '/fiqa_result', value: event['fiqa_result'] },
    { pointer: '/ext_data/box_fiqa_info/fiqa_result', value: isPlainObject(boxFiqaInfo) ? boxFiqaInfo['fiqa_result'] : undefined },
  ];
  const found = fallbacks.find((candidate) => !isAbsent(candidate.value));
  if (!found) return;
  const fiqaResult = asBoolean(found.value);
  if (fiqaResult === undefined) errors.push({ pointer: found.pointer, message: `must be a boolean (got ${describeValue(found.value)})` });
  else ext['fiqa_result'] = fiqaResult;
}

function extractPictures(
  event: Fields,
  ext: Fields | undefined,
  options: { maxPictureBytes: number },
  errors: FieldError[],
): DecodedPicture[] {
  const pictures: DecodedPicture[] = [];
  for (const { kind, inExtData } of PICTURE_FIELDS) {
    const container = inExtData ? ext : event;
    if (!container || !Object.hasOwn(container, kind)) continue;
    const value = container[kind];
    delete container[kind];
    if (value === '' || value === null) continue; // boxes can be configured to leave pictures out
    const decoded = decodePicture(value, options);
    if (decoded.ok) pictures.push({ kind, ...decoded.image });
    else errors.push({ pointer: jsonPointer(...(inExtData ? ['ext_data', kind] : [kind])), message: decoded.message });
  }
  return pictures;
}

function devSnoFromEpId(epId: unknown): string | undefined {
  if (typeof epId !== 'string') return undefined;
  const separator = epId.indexOf('__');
  return separator > 0 ? epId.slice(0, separator) : undefined;
}

function determinedDevSno(ext: Fields | undefined, ctx: ParseContext): string | undefined {
  const devSno = ext?.['dev_sno'];
  if (isNonEmptyString(devSno) && devSno.length <= MAX_DEV_SNO_LENGTH) return devSno;
  return ctx.boundDevSno || undefined;
}

function failure(errors: FieldError[], devSno: string | undefined): NormaliseResult {
  return devSno === undefined ? { ok: false, errors } : { ok: false, errors, devSno };
}

function coerceField(target: Fields, field: string, coerce: (value: unknown) => unknown): void {
  if (Object.hasOwn(target, field)) target[field] = coerce(target[field]);
}

function setOrDelete(target: Fields, field: string, value: string | undefined): void {
  if (value === undefined) delete target[field];
  else target[field] = value;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

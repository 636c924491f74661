import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { detectFormat, jsonPointer } from '@sophon/event-contract';
import { HttpError } from './http-error.js';
import { findDeepNesting, findUnsafeJson } from './json-guard.js';
// A cycle (read-upload reads multipart bodies with this module), harmless: used only at run time.
import { UnreadableUpload } from './read-upload.js';

/** Parts that hold the whole event (or a batch) as JSON. */
const WHOLE_EVENT_PARTS = new Set(['event', 'events', 'data', 'json', 'payload', 'history_event', 'HistoryEvent']);
/**
 * Pictures that the nested formats (V5R3C01, V2R2C01) keep in ext_data: a part named without the
 * prefix still lands there. The flat V5R6C01 has the same names at the top, where they stay.
 */
const EXT_DATA_PICTURES = ['spot_pic', 'ir_pic', 'recognize_face'];
const FLAT_FORMATS: ReadonlySet<string> = new Set(['V5R6C01', 'V6R2C01']);

export interface MultipartLimits {
  maxBodyBytes: number;
  maxPictureBytes: number;
  maxJsonDepth: number;
}

/**
 * Reads a multipart/form-data upload into the same JSON shape a JSON upload has. The vendor
 * does not document its form layout, so both plausible ones are accepted:
 *  - one part (field or file) named event/data/json/payload... holding the whole event as JSON,
 *    optionally with other parts beside it (pictures as file parts, above all) merged into it;
 *  - one field per top-level key (ext_data and other objects as JSON strings; nested keys
 *    as "ext_data.spot_pic" or "ext_data[spot_pic]"), pictures as base64 fields or file parts.
 * A part never silently replaces a value the event already has: that is a 400 naming the field.
 * JSON in a part that cannot be read (or nests too deep) is an UnreadableUpload: it is quarantined.
 */
export function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Each file part's own limit is applied below: a picture's raw bytes, a whole event's JSON.
        limits: { fileSize: limits.maxBodyBytes, fieldSize: limits.maxBodyBytes, parts: 1000, fields: 500, files: 50 },
      });
    } catch (error) {
      reject(new HttpError(400, 'INVALID_ARGUMENT', `multipart body cannot be read: ${(error as Error).message}`));
      return;
    }
    const fields: [string, string][] = [];
    let received = 0;
    let failed = false;
    const fail = (error: HttpError) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume(); // drain what is left so the answer can be sent
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBodyBytes) fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limits.maxBodyBytes} bytes`));
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `form field "${name}" is too large`));
      fields.push([name, value]);
    });
    parser.on('file', (name, stream) => {
      // A file part named like a whole-event part carries JSON (bounded by the body's limit); any other is a picture.
      const isEvent = WHOLE_EVENT_PARTS.has(name);
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (!isEvent && bytes > limits.maxPictureBytes) return fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `file part "${name}" is larger than ${limits.maxPictureBytes} bytes`));
        if (!failed) chunks.push(chunk);
      });
      stream.on('limit', () => fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `file part "${name}" is larger than ${limits.maxBodyBytes} bytes`)));
      stream.on('close', () => {
        const content = Buffer.concat(chunks);
        fields.push([name, isEvent ? content.toString('utf8') : content.toString('base64')]);
      });
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `too many form parts (${limit.replace('Limit', '')})`)));
    }
    parser.on('error', (error: Error) => fail(new HttpError(400, 'INVALID_ARGUMENT', `multipart body cannot be read: ${error.message}`)));
    parser.on('close', () => {
      if (failed) return;
      try {
        resolve(assemble(fields, limits.maxJsonDepth));
      } catch (error) {
        reject(error);
      }
    });
    req.pipe(parser);
  });
}

function assemble(fields: [string, string][], maxDepth: number): unknown {
  if (fields.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'multipart body has no parts');
  const wholeParts = fields.filter(([name]) => WHOLE_EVENT_PARTS.has(name));
  if (wholeParts.length > 1) {
    throw new HttpError(400, 'INVALID_ARGUMENT', `multipart body has ${wholeParts.length} whole-event parts (${wholeParts.map(([name]) => name).join(', ')}); send one`);
  }
  const [whole] = wholeParts;
  if (!whole && fields.length === 1 && looksLikeJson(fields[0]![1])) return parseJsonPart(fields[0]![0], fields[0]![1], [], maxDepth);

  let event: Record<string, unknown> = {};
  if (whole) {
    const parsed = parseJsonPart(whole[0], whole[1], [], maxDepth);
    if (fields.length === 1) return parsed;
    if (!isPlainObject(parsed)) {
      throw new HttpError(400, 'INVALID_ARGUMENT', `form part "${whole[0]}" must hold one event (a JSON object) when other parts are sent beside it`);
    }
    event = parsed;
  }
  for (const [name, value] of fields) if (name !== whole?.[0]) setField(event, name, value, maxDepth);
  const pictureParts = EXT_DATA_PICTURES.filter((picture) => fields.some(([name]) => name === picture));
  return placePictureParts(event, pictureParts);
}

/** Parts named spot_pic, ir_pic or recognize_face go into ext_data, unless the event is of a flat format. */
function placePictureParts(event: Record<string, unknown>, pictures: string[]): Record<string, unknown> {
  if (pictures.length === 0) return event;
  const detected = detectFormat(event);
  if (detected.ok && FLAT_FORMATS.has(detected.format)) return event;
  for (const name of pictures) {
    const value = event[name];
    delete event[name];
    if (isEmpty(event['ext_data'])) event['ext_data'] = {};
    const ext = event['ext_data'];
    if (!isPlainObject(ext) || !isEmpty(ext[name])) throw conflict(name, ['ext_data', name]);
    ext[name] = value;
  }
  return event;
}

/** Puts one form part where its name says ("ext_data.spot_pic", "ext_data[ir_pic]", "spot_pic", "score"); pictures are placed after. */
function setField(event: Record<string, unknown>, name: string, value: string, maxDepth: number): void {
  const path = name.replace(/\[([^\]]*)\]/g, '.$1').split('.');
  if (path.length > maxDepth) throw new HttpError(400, 'INVALID_ARGUMENT', `form field name "${name}" nests deeper than ${maxDepth} levels`);
  for (const key of path) {
    if (!key || key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new HttpError(400, 'INVALID_ARGUMENT', `form field name "${name}" is not allowed`);
    }
  }
  let target = event;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (isEmpty(next)) target = target[key] = {};
    else if (isPlainObject(next)) target = next;
    else throw conflict(name, path);
  }
  const last = path[path.length - 1]!;
  const parsed = looksLikeJson(value) ? parseJsonPart(name, value, path, maxDepth) : value;
  const existing = target[last];
  if (isEmpty(existing)) {
    target[last] = parsed;
  } else if (isPlainObject(existing) && isPlainObject(parsed)) {
    // ext_data sent as JSON and ext_data.x as a part of its own: merged, key by key.
    for (const [key, item] of Object.entries(parsed)) {
      if (!isEmpty(existing[key])) throw conflict(name, [...path, key]);
      existing[key] = item;
    }
  } else {
    throw conflict(name, path);
  }
}

const conflict = (name: string, path: string[]) =>
  new HttpError(400, 'INVALID_ARGUMENT', `form part "${name}" conflicts with ${jsonPointer(...path)}, which the event already has; send it once`, {
    errors: [{ pointer: jsonPointer(...path), message: 'is sent twice (in the JSON and as a form part)' }],
  });

/** Absent, null or "": a box leaves a picture out that way, so a part may fill it. */
const isEmpty = (value: unknown) => value === undefined || value === null || value === '';
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const looksLikeJson = (text: string) => /^\s*[[{]/.test(text);

/** JSON of one part, checked for depth and forbidden keys here: the caller never walks or re-serialises what is unsafe. */
function parseJsonPart(name: string, text: string, at: string[], maxDepth: number): unknown {
  const depth = Math.max(1, maxDepth - at.length);
  // On the raw text, before JSON.parse, as for a JSON body: a part of nothing but "[[[[" would cost seconds of parsing.
  const tooDeep = findDeepNesting(Buffer.from(text, 'utf8'), depth);
  if (tooDeep >= 0) throw new UnreadableUpload(`form part "${name}": nesting is deeper than ${depth} levels (at byte ${tooDeep})`, text, jsonPointer(...at));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableUpload(`form part "${name}" is not valid JSON: ${(error as Error).message}`, text, jsonPointer(...at));
  }
  const unsafe = findUnsafeJson(value, depth);
  if (unsafe) throw new UnreadableUpload(`form part "${name}": ${unsafe.pointer || 'its JSON'}: ${unsafe.message}`, text, jsonPointer(...at) + unsafe.pointer);
  return value;
}

import type { Request } from 'express';
import busboy from 'busboy';
import { HttpError } from './http-error.js';

/** Parts that hold the whole event (or a batch) as JSON. */
const WHOLE_EVENT_PARTS = new Set(['event', 'events', 'data', 'json', 'payload', 'history_event', 'HistoryEvent']);
/** Picture parts named without their ext_data prefix still land in ext_data. */
const EXT_DATA_PICTURES = new Set(['spot_pic', 'ir_pic', 'recognize_face']);

export interface MultipartLimits {
  maxBodyBytes: number;
  maxPictureBytes: number;
}

/**
 * Reads a multipart/form-data upload into the same JSON shape a JSON upload has. The vendor
 * does not document its form layout, so both plausible ones are accepted:
 *  - one part (field or file) named event/data/json/payload... holding the whole event as JSON;
 *  - one field per top-level key (ext_data and other objects as JSON strings; nested keys
 *    as "ext_data.spot_pic" or "ext_data[spot_pic]"), pictures as base64 fields or file parts.
 */
export function readMultipart(req: Request, limits: MultipartLimits): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: Math.ceil(limits.maxPictureBytes * 1.34) + 1024, fieldSize: limits.maxBodyBytes, parts: 1000, fields: 500, files: 50 },
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
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `file part "${name}" is larger than ${limits.maxPictureBytes} bytes`)));
      stream.on('close', () => {
        const bytes = Buffer.concat(chunks);
        // A file part named like a whole-event part carries JSON; any other is a picture.
        fields.push([name, WHOLE_EVENT_PARTS.has(name) ? bytes.toString('utf8') : bytes.toString('base64')]);
      });
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `too many form parts (${limit.replace('Limit', '')})`)));
    }
    parser.on('error', (error: Error) => fail(new HttpError(400, 'INVALID_ARGUMENT', `multipart body cannot be read: ${error.message}`)));
    parser.on('close', () => {
      if (failed) return;
      try {
        resolve(assemble(fields));
      } catch (error) {
        reject(error);
      }
    });
    req.pipe(parser);
  });
}

function assemble(fields: [string, string][]): unknown {
  const whole = fields.find(([name]) => WHOLE_EVENT_PARTS.has(name));
  if (whole) return parseJsonField(whole[0], whole[1]);
  if (fields.length === 1 && /^\s*[[{]/.test(fields[0]![1])) return parseJsonField(fields[0]![0], fields[0]![1]);
  if (fields.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'multipart body has no parts');

  const event: Record<string, unknown> = {};
  for (const [name, value] of fields) {
    const path = name.replace(/\[([^\]]*)\]/g, '.$1').split('.');
    if (path.length === 1 && EXT_DATA_PICTURES.has(name)) path.unshift('ext_data');
    for (const key of path) {
      if (!key || key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new HttpError(400, 'INVALID_ARGUMENT', `form field name "${name}" is not allowed`);
      }
    }
    let target = event;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (next === undefined) target = target[key] = {};
      else if (typeof next === 'object' && next !== null && !Array.isArray(next)) target = next as Record<string, unknown>;
      else throw new HttpError(400, 'INVALID_ARGUMENT', `form field "${name}" conflicts with another field`);
    }
    const last = path[path.length - 1]!;
    const parsed = /^\s*[[{]/.test(value) ? parseJsonField(name, value) : value;
    const existing = target[last];
    // ext_data sent as JSON and ext_data.x as a field of its own: merge the two.
    target[last] =
      existing && typeof existing === 'object' && parsed && typeof parsed === 'object' ? { ...(parsed as object), ...(existing as object) } : parsed;
  }
  return event;
}

function parseJsonField(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'INVALID_ARGUMENT', `form field "${name}" is not valid JSON: ${(error as Error).message}`);
  }
}

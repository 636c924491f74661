import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { ParsedUpload } from '@sophon/event-contract';
import { findDeepNesting, findUnsafeJson } from './json-guard.js';
import { HttpError } from './http-error.js';
import { readMultipart } from './multipart.js';

export interface UploadLimits {
  maxBodyBytes: number;
  maxPictureBytes: number;
  maxJsonDepth: number;
}

/** The body could not become JSON at all; it is still quarantined, as text. */
export class UnreadableUpload extends HttpError {
  constructor(
    message: string,
    readonly rawText: string,
    readonly pointer = '',
  ) {
    super(400, 'INVALID_ARGUMENT', message, { errors: [{ pointer, message }] });
  }
}

const isMultipart = (req: IncomingMessage) => (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');

/**
 * Reads the body whatever the Content-Type says (boxes send text/plain or none): JSON
 * unless it is multipart/form-data. Encoded bodies never get here (refuseEncodedBodies);
 * `inflate: false` makes body-parser refuse one too, should the route ever lose that guard.
 */
export function rawBodyReader({ maxBodyBytes }: UploadLimits): (req: IncomingMessage, res: ServerResponse) => Promise<Buffer | undefined> {
  const read = express.raw({ type: (req) => !isMultipart(req), limit: maxBodyBytes, inflate: false });
  return (req, res) =>
    new Promise((resolve, reject) =>
      read(req, res, (error?: unknown) => {
        // body-parser leaves what it read on the request; it is handed over, not kept there.
        const holder = req as IncomingMessage & { body?: unknown };
        const body = holder.body;
        holder.body = undefined;
        if (error) reject(error);
        else resolve(Buffer.isBuffer(body) ? body : undefined);
      }),
    );
}

/**
 * The upload as JSON: `body` as read by rawBodyReader, or the multipart stream of `req`. A JSON body
 * is parsed by `parseJson` (the route's adapter's, which may keep a part of it as text). The body is
 * decoded to text for the quarantine only when it is refused: decoding half a megabyte of pictures
 * costs about as much as parsing it.
 */
export async function readUpload(
  req: IncomingMessage,
  body: Buffer | undefined,
  limits: UploadLimits,
  parseJson: (body: Buffer) => ParsedUpload,
): Promise<ParsedUpload> {
  let value: unknown;
  let featureJson: string | undefined;
  let bytes: Buffer | undefined;
  const rawText = () => bytes?.toString('utf8') ?? '';
  if (isMultipart(req)) {
    value = await readMultipart(req, limits);
  } else {
    if (body === undefined || body.length === 0) throw new UnreadableUpload('the request body is empty: send a HistoryEvent as JSON', '');
    bytes = body;
    // On the raw bytes, before JSON.parse: a body of nothing but "[[[[" would cost seconds of parsing.
    const tooDeep = findDeepNesting(body, limits.maxJsonDepth);
    if (tooDeep >= 0) throw new UnreadableUpload(`the body: nesting is deeper than ${limits.maxJsonDepth} levels (at byte ${tooDeep})`, rawText());
    if (hasByteOrderMark(body)) bytes = body.subarray(UTF8_BOM.length);
    try {
      ({ value, featureJson } = parseJson(bytes));
    } catch (error) {
      throw new UnreadableUpload(`the body is not valid JSON: ${(error as Error).message}`, rawText());
    }
  }
  // Still needed: forbidden keys, and the depth of what multipart assembled from its parts.
  const unsafe = findUnsafeJson(value, limits.maxJsonDepth);
  if (unsafe) throw new UnreadableUpload(`${unsafe.pointer || 'the body'}: ${unsafe.message}`, rawText() || JSON.stringify(value), unsafe.pointer);
  if (value === null || typeof value !== 'object') {
    throw new UnreadableUpload('the body must be a JSON object (one HistoryEvent) or an array of them', rawText());
  }
  return featureJson === undefined ? { value } : { value, featureJson };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const hasByteOrderMark = (body: Buffer) => body.length >= UTF8_BOM.length && body[0] === UTF8_BOM[0] && body[1] === UTF8_BOM[1] && body[2] === UTF8_BOM[2];

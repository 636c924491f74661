import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * Refuses a body sent with any Content-Encoding but identity, before a byte of it is read.
 * Boxes never compress their uploads, and an encoded body defeats the in-flight byte budget,
 * which admits a request on its Content-Length: 86 KB of gzip inflates to the whole body limit.
 * Refusing costs nothing; charging every encoded body the full limit would still spend the CPU
 * to inflate it and let two or three such requests fill the budget of every box.
 */
export function refuseEncodedBody(req: IncomingMessage): void {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return;
  const shown = JSON.stringify(encoding.length > 40 ? `${encoding.slice(0, 40)}…` : encoding);
  throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${shown} is not accepted: send the body uncompressed (no content encoding, or identity)`, {}, {
    'Accept-Encoding': 'identity',
  });
}

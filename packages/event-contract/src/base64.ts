/**
 * Strict base64 decoding for pictures. `Buffer.from(s, 'base64')` silently skips characters outside
 * the alphabet, so a corrupted picture would decode to garbage; we validate first. Every step is a
 * single linear regex scan or slice (pictures are 10–400 KB), never per-character JS work.
 */

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; message: string };

/** `data:image/jpeg;base64,` and the like, as some firmware prefixes its pictures. */
const DATA_URI_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/i;
/** Standard alphabet, padding, and the line breaks/spaces some encoders insert. */
const NOT_BASE64 = /[^A-Za-z0-9+/=\r\n\t ]/;
const NOT_PADDING = /[^=\r\n\t ]/;
const WHITESPACE = /[\r\n\t ]/;
const ALL_WHITESPACE = /[\r\n\t ]+/g;

/**
 * Decodes `text` (optionally with a data-URI prefix, line breaks and missing padding).
 * Offsets in messages are character offsets into `text` as given. Decoded sizes over `maxBytes`
 * are refused before anything is allocated.
 */
export function decodeStrictBase64(text: string, maxBytes: number): Base64Result {
  const prefixLength = DATA_URI_PREFIX.exec(text)?.[0].length ?? 0;
  const body = prefixLength === 0 ? text : text.slice(prefixLength);

  const invalid = NOT_BASE64.exec(body);
  if (invalid) {
    return notBase64(`invalid character ${JSON.stringify(invalid[0])} at offset ${prefixLength + invalid.index}`);
  }
  const firstPad = body.indexOf('=');
  let paddingLength = 0;
  if (firstPad >= 0) {
    const tail = body.slice(firstPad);
    const afterPadding = NOT_PADDING.exec(tail);
    if (afterPadding) return notBase64(`data after "=" padding at offset ${prefixLength + firstPad + afterPadding.index}`);
    // The tail holds only "=" and whitespace now.
    paddingLength = WHITESPACE.test(tail) ? tail.replace(ALL_WHITESPACE, '').length : tail.length;
  }
  const compact = WHITESPACE.test(body) ? body.replace(ALL_WHITESPACE, '') : body;
  const dataLength = compact.length - paddingLength;

  if (dataLength === 0) return { ok: false, message: 'is empty (no base64 data)' };
  if (paddingLength > 2 || (paddingLength > 0 && compact.length % 4 !== 0)) {
    return notBase64(`wrong padding: ${paddingLength} "=" after ${dataLength} characters`);
  }
  if (dataLength % 4 === 1) return notBase64(`truncated: ${dataLength} characters cannot encode whole bytes`);

  const size = Math.floor((dataLength * 3) / 4);
  if (size > maxBytes) return { ok: false, message: `is ${size} bytes, more than the limit of ${maxBytes} bytes` };
  return { ok: true, bytes: Buffer.from(compact, 'base64') };
}

function notBase64(reason: string): Base64Result {
  return { ok: false, message: `is not valid base64 (${reason})` };
}

/**
 * Strict base64 decoding for pictures. `Buffer.from(s, 'base64')` silently skips characters outside
 * the alphabet, so a corrupted picture would decode to garbage. A picture as boxes send it (one
 * line) is decoded natively and checked by its length; anything else takes the careful path, a
 * few linear regex scans, which also names what is wrong. Never per-character JS work.
 */

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; message: string };

/** `data:image/jpeg;base64,` and the like, as some firmware prefixes its pictures. */
const DATA_URI_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/i;
/** Standard alphabet, padding, and the line breaks/spaces some encoders insert. */
const NOT_BASE64 = /[^A-Za-z0-9+/=\r\n\t ]/;
const NOT_PADDING = /[^=\r\n\t ]/;
const WHITESPACE = /[\r\n\t ]/;
const ALL_WHITESPACE = /[\r\n\t ]+/g;
const DATA_URI_FIRST_CHAR = 'd'.charCodeAt(0);
const DATA_URI_FIRST_CHAR_UPPER = 'D'.charCodeAt(0);
const EQUALS = '='.charCodeAt(0);

/**
 * Decodes `text` (optionally with a data-URI prefix, line breaks and missing padding).
 * Offsets in messages are character offsets into `text` as given. Decoded sizes over `maxBytes`
 * are refused before anything is allocated.
 */
export function decodeStrictBase64(text: string, maxBytes: number): Base64Result {
  const first = text.charCodeAt(0);
  const prefixLength = first === DATA_URI_FIRST_CHAR || first === DATA_URI_FIRST_CHAR_UPPER ? (DATA_URI_PREFIX.exec(text)?.[0].length ?? 0) : 0;
  const body = prefixLength === 0 ? text : text.slice(prefixLength);
  return decodeOneLine(body, maxBytes) ?? decodeCarefully(body, prefixLength, maxBytes);
}

/**
 * The fast path: unpadded or correctly padded base64 on one line, decoded natively. Node's decoder
 * skips characters outside the alphabet, so one of them (or a line break) makes the decoded length
 * fall short of what the text's length promises (lengths of 1 mod 4 are left to the careful path,
 * the one case where skipping a character would not show); "-" and "_" (base64url) it decodes, so
 * they are looked for. Undefined: not decided here.
 */
function decodeOneLine(body: string, maxBytes: number): Base64Result | undefined {
  const firstPad = body.indexOf('=');
  const paddingLength = firstPad < 0 ? 0 : body.length - firstPad;
  if (paddingLength > 2 || (paddingLength > 0 && (body.length % 4 !== 0 || body.charCodeAt(body.length - 1) !== EQUALS))) return undefined;
  const dataLength = body.length - paddingLength;
  if (dataLength === 0 || dataLength % 4 === 1) return undefined;
  const size = Math.floor((dataLength * 3) / 4);
  if (size > maxBytes) return undefined;
  if (body.indexOf('-') >= 0 || body.indexOf('_') >= 0) return undefined;
  const bytes = Buffer.from(body, 'base64');
  return bytes.length === size ? { ok: true, bytes } : undefined;
}

/** Every rule checked in turn, with a message that says which one failed and where. */
/** Exported for the test that holds the fast path to it. */
export function decodeCarefully(body: string, prefixLength: number, maxBytes: number): Base64Result {
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

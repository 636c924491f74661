import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodePicture, sniffImageType } from '../src/index.js';
import { b64, BMP, JPEG, PNG, WEBP } from './fixtures.js';

const LIMIT = { maxPictureBytes: 1024 };

function decodeError(value: unknown, options = LIMIT): string {
  const result = decodePicture(value, options);
  assert.equal(result.ok, false, 'expected a decoding failure');
  return result.ok ? '' : result.message;
}

function decoded(value: unknown, options = LIMIT) {
  const result = decodePicture(value, options);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.image;
}

describe('sniffImageType', () => {
  it('recognises each supported type by its magic bytes', () => {
    assert.equal(sniffImageType(JPEG), 'jpeg');
    assert.equal(sniffImageType(PNG), 'png');
    assert.equal(sniffImageType(BMP), 'bmp');
    assert.equal(sniffImageType(WEBP), 'webp');
  });

  it('rejects anything else, including truncated or implausible headers', () => {
    assert.equal(sniffImageType(Buffer.alloc(0)), undefined);
    assert.equal(sniffImageType(Buffer.from('hello world, not an image')), undefined);
    assert.equal(sniffImageType(JPEG.subarray(0, 2)), undefined);
    assert.equal(sniffImageType(PNG.subarray(0, 7)), undefined);
    assert.equal(sniffImageType(Buffer.from('BM plain text that starts with BM')), undefined, '"BM" alone is not a BMP');
    const wave = Buffer.from(WEBP);
    wave.write('WAVE', 8, 'latin1');
    assert.equal(sniffImageType(wave), undefined, 'RIFF but not WEBP');
  });

  it('reads a BMP header inside a larger buffer (byteOffset)', () => {
    const backing = Buffer.concat([Buffer.alloc(3), BMP]);
    assert.equal(sniffImageType(backing.subarray(3)), 'bmp');
  });
});

describe('decodePicture', () => {
  it('decodes plain base64 and reports type, content type and sha256', () => {
    const image = decoded(b64(PNG));
    assert.deepEqual(image.bytes, PNG);
    assert.equal(image.imageType, 'png');
    assert.equal(image.contentType, 'image/png');
    assert.equal(image.sha256, createHash('sha256').update(PNG).digest('hex'));
  });

  it('gives each type its content type', () => {
    assert.equal(decoded(b64(JPEG)).contentType, 'image/jpeg');
    assert.equal(decoded(b64(BMP)).contentType, 'image/bmp');
    assert.equal(decoded(b64(WEBP)).contentType, 'image/webp');
  });

  it('strips a data-URI prefix (whatever image type it claims; the bytes decide)', () => {
    assert.deepEqual(decoded(`data:image/jpeg;base64,${b64(JPEG)}`).bytes, JPEG);
    assert.equal(decoded(`data:image/jpeg;base64,${b64(PNG)}`).imageType, 'png');
    assert.deepEqual(decoded(`DATA:IMAGE/PNG;BASE64,${b64(PNG)}`).bytes, PNG);
  });

  it('ignores line breaks, tabs and spaces (MIME-style wrapping)', () => {
    const text = b64(BMP);
    const wrapped = `${text.slice(0, 10)}\r\n${text.slice(10, 30)}\n\t ${text.slice(30)}\n`;
    assert.deepEqual(decoded(wrapped).bytes, BMP);
  });

  it('accepts missing padding', () => {
    assert.ok(b64(PNG).endsWith('==') && b64(JPEG).endsWith('=') && b64(BMP).length % 4 === 0);
    assert.deepEqual(decoded(b64(PNG).replace(/=+$/, '')).bytes, PNG);
    assert.deepEqual(decoded(b64(JPEG).replace(/=+$/, '')).bytes, JPEG);
  });

  it('rejects characters outside the standard alphabet, with their offset in the value as sent', () => {
    const text = b64(JPEG);
    assert.equal(decodeError(`${text.slice(0, 5)}!${text.slice(5)}`), 'is not valid base64 (invalid character "!" at offset 5)');
    assert.equal(
      decodeError(`data:image/png;base64,${text.slice(0, 4)}-${text.slice(4)}`),
      'is not valid base64 (invalid character "-" at offset 26)',
      'URL-safe alphabet is not accepted; the offset counts the prefix',
    );
    assert.equal(decodeError('data:text/plain;base64,QUJD'), 'is not valid base64 (invalid character ":" at offset 4)');
  });

  it('rejects data after padding and wrong padding', () => {
    const text = b64(JPEG);
    assert.equal(decodeError(`${text}AAAA`), `is not valid base64 (data after "=" padding at offset ${text.length})`);
    assert.equal(decodeError(`${b64(PNG)}=`), 'is not valid base64 (wrong padding: 3 "=" after 22 characters)');
    assert.match(decodeError('QUJDRA='), /^is not valid base64 \(wrong padding/);
  });

  it('rejects a truncated last group', () => {
    assert.equal(decodeError('QUJDR'), 'is not valid base64 (truncated: 5 characters cannot encode whole bytes)');
  });

  it('rejects values that are empty after stripping prefix and whitespace', () => {
    assert.equal(decodeError('data:image/jpeg;base64,'), 'is empty (no base64 data)');
    assert.equal(decodeError(' \r\n\t'), 'is empty (no base64 data)');
  });

  it('rejects valid base64 that is not an image', () => {
    assert.equal(decodeError(b64(Buffer.from('just some text'))), 'is not an image: expected JPEG, PNG, BMP or WebP');
  });

  it('rejects non-strings', () => {
    assert.equal(decodeError(42), 'must be a base64-encoded image string (got 42)');
    assert.equal(decodeError({ data: 'x' }), 'must be a base64-encoded image string (got an object)');
  });

  it('enforces the size limit on the decoded bytes, naming size and limit', () => {
    const atLimit = Buffer.concat([JPEG, Buffer.alloc(1024 - JPEG.length)]);
    assert.equal(decoded(b64(atLimit)).bytes.length, 1024);
    const overLimit = Buffer.concat([atLimit, Buffer.alloc(1)]);
    assert.equal(decodeError(b64(overLimit)), 'is 1025 bytes, more than the limit of 1024 bytes');
    assert.equal(decodeError(b64(overLimit).replace(/=+$/, '')), 'is 1025 bytes, more than the limit of 1024 bytes');
  });
});

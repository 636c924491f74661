import { createHash } from 'node:crypto';
import { decodeStrictBase64 } from './base64.js';
import { describeValue } from './values.js';

export type ImageType = 'jpeg' | 'png' | 'bmp' | 'webp';

export const IMAGE_TYPES: Readonly<Record<ImageType, { contentType: string; extension: string }>> = Object.freeze({
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  bmp: { contentType: 'image/bmp', extension: 'bmp' },
  webp: { contentType: 'image/webp', extension: 'webp' },
});

const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];
const BM = [0x42, 0x4d];
/** BMP DIB header sizes in use (BITMAPCOREHEADER .. BITMAPV5HEADER); "BM" alone is too weak a signal. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
const BMP_FILE_HEADER_SIZE = 14;

/** The image type by magic bytes, or undefined when `bytes` is none of JPEG, PNG, BMP or WebP. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, JPEG_MAGIC)) return 'jpeg';
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'webp';
  if (isPlausibleBmp(bytes)) return 'bmp';
  return undefined;
}

function isPlausibleBmp(bytes: Uint8Array): boolean {
  if (bytes.length < BMP_FILE_HEADER_SIZE + 12 || !startsWith(bytes, BM)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelDataOffset = view.getUint32(10, true);
  const dibHeaderSize = view.getUint32(14, true);
  return BMP_DIB_HEADER_SIZES.has(dibHeaderSize) && pixelDataOffset >= BMP_FILE_HEADER_SIZE + dibHeaderSize;
}

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  return magic.every((byte, i) => bytes[at + i] === byte);
}

export interface DecodedImage {
  bytes: Buffer;
  imageType: ImageType;
  contentType: string;
  /** Lowercase hex SHA-256 of `bytes`. */
  sha256: string;
}

export type DecodePictureResult = { ok: true; image: DecodedImage } | { ok: false; message: string };

/**
 * Decodes one base64 picture as a device sends it (see `decodeStrictBase64`) and checks by magic
 * bytes that it is an image. The failure message completes the field's pointer ("/ext_data/spot_pic
 * is not valid base64 (…)"). Absent pictures ("" or null) are the caller's business.
 */
export function decodePicture(value: unknown, options: { maxPictureBytes: number }): DecodePictureResult {
  if (typeof value !== 'string') {
    return { ok: false, message: `must be a base64-encoded image string (got ${describeValue(value)})` };
  }
  const decoded = decodeStrictBase64(value, options.maxPictureBytes);
  if (!decoded.ok) return decoded;
  const imageType = sniffImageType(decoded.bytes);
  if (imageType === undefined) return { ok: false, message: 'is not an image: expected JPEG, PNG, BMP or WebP' };
  return {
    ok: true,
    image: {
      bytes: decoded.bytes,
      imageType,
      contentType: IMAGE_TYPES[imageType].contentType,
      sha256: createHash('sha256').update(decoded.bytes).digest('hex'),
    },
  };
}

import jpeg from 'jpeg-js';
import { createRandom, type Random } from './random.js';

/** The four pictures of a HistoryEvent, by what they show. */
export type PictureClass = 'scene' | 'face' | 'ir' | 'registered';

const KB = 1024;

/** Sizes real boxes send (spec/history-event-upload.md), in bytes of JPEG. */
export const PICTURE_SIZE_RANGES: Readonly<Record<PictureClass, { min: number; max: number }>> = {
  scene: { min: 150 * KB, max: 400 * KB },
  face: { min: 8 * KB, max: 30 * KB },
  ir: { min: 10 * KB, max: 40 * KB },
  registered: { min: 20 * KB, max: 100 * KB },
};

interface JpegRecipe {
  width: number;
  height: number;
  quality: number;
  /** Amplitude of the pixel noise over a smooth pattern: what sets the size at a given quality. */
  noise: number;
  /** Infrared pictures are grey. */
  grey?: boolean;
}

// Calibrated with jpeg-js so that each class spreads over its range (the unit test checks it).
const RECIPES: Readonly<Record<PictureClass, readonly JpegRecipe[]>> = {
  scene: [
    { width: 1920, height: 1080, quality: 75, noise: 13 },
    { width: 1920, height: 1080, quality: 75, noise: 20 },
    { width: 1920, height: 1080, quality: 75, noise: 28 },
  ],
  face: [
    { width: 200, height: 240, quality: 85, noise: 20 },
    { width: 200, height: 240, quality: 85, noise: 50 },
    { width: 200, height: 240, quality: 85, noise: 90 },
  ],
  ir: [
    { width: 320, height: 320, quality: 80, noise: 15, grey: true },
    { width: 320, height: 320, quality: 80, noise: 30, grey: true },
    { width: 320, height: 320, quality: 80, noise: 55, grey: true },
  ],
  registered: [
    { width: 480, height: 560, quality: 85, noise: 15 },
    { width: 480, height: 560, quality: 85, noise: 30 },
    { width: 480, height: 560, quality: 85, noise: 44 },
  ],
};

/**
 * A variant's bytes after its SOI marker, base64-encoded once. Each picture handed out is SOI +
 * a COM segment of 12 unique bytes + these: 18 bytes before them, a multiple of 3, so the base64
 * of the whole is the base64 of the 18 bytes followed by this string, and a unique picture costs
 * a 24-character encode instead of encoding 400 KB.
 */
interface EncodedVariant {
  bytes: number;
  tailBase64: string;
}

export interface PicturePool {
  /** A valid JPEG of `pictureClass`, base64, with bytes no other picture of this pool has. */
  base64(pictureClass: PictureClass, random: Random): string;
  /** Byte sizes of the variants of a class (each picture is 18 bytes larger). */
  variantSizes(pictureClass: PictureClass): number[];
}

const COM_SEGMENT_BYTES = 18; // FFD8 (SOI), FFFE (COM), length 14, 12 bytes of payload

export function createPicturePool(seed = 1): PicturePool {
  const variants = Object.fromEntries(
    (Object.keys(RECIPES) as PictureClass[]).map((pictureClass) => [
      pictureClass,
      RECIPES[pictureClass].map((recipe, index) => {
        const encoded = encodeNoiseJpeg(recipe, createRandom(seed * 31 + index));
        return { bytes: encoded.length, tailBase64: encoded.subarray(2).toString('base64') };
      }),
    ]),
  ) as Record<PictureClass, EncodedVariant[]>;
  let counter = 0;
  const prefix = Buffer.alloc(COM_SEGMENT_BYTES);
  prefix.set([0xff, 0xd8, 0xff, 0xfe, 0x00, 14]);
  return {
    base64(pictureClass, random) {
      const variant = random.pick(variants[pictureClass]);
      prefix.writeUInt32BE(counter++ >>> 0, 6);
      prefix.writeUInt32BE(Math.floor(random.next() * 2 ** 32), 10);
      prefix.writeUInt32BE(Math.floor(random.next() * 2 ** 32), 14);
      return prefix.toString('base64') + variant.tailBase64;
    },
    variantSizes: (pictureClass) => variants[pictureClass].map((variant) => variant.bytes + COM_SEGMENT_BYTES),
  };
}

/** A smooth pattern under uniform noise: compresses like a photo would, unlike pure noise. */
function encodeNoiseJpeg(recipe: JpegRecipe, random: Random): Buffer {
  const { width, height, noise } = recipe;
  const data = Buffer.alloc(width * height * 4);
  const fx = 1 + random.next() * 3;
  const fy = 1 + random.next() * 3;
  for (let y = 0; y < height; y++) {
    const cosY = Math.cos((y / height) * Math.PI * fy);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const base = 128 + 60 * Math.sin((x / width) * Math.PI * fx) * cosY;
      const n = (random.next() - 0.5) * noise;
      data[i] = base + n;
      data[i + 1] = recipe.grey ? base + n : base * 0.9 + n;
      data[i + 2] = recipe.grey ? base + n : base * 0.8 + n;
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ width, height, data }, recipe.quality).data;
}

/** Byte fixtures written out by hand (independent of src/testing.ts) and the spec's own example. */

/** SOI + APP0 "JFIF" + EOI. */
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
/** Signature + the start of an IHDR chunk. */
export const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
/** A complete 1×1 24-bit BMP: 14-byte file header, 40-byte BITMAPINFOHEADER, one padded pixel row. */
export const BMP = Buffer.from([
  0x42, 0x4d, 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
  40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x00, 0x00, 0xff, 0x00,
]);
/** "RIFF" + size + "WEBP" + the start of a "VP8 " chunk. */
export const WEBP = Buffer.from([0x52, 0x49, 0x46, 0x46, 0x0c, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20]);

export const SPEC_DEV_SNO = 'AKOPKKKKK';

/**
 * The example payload of history-event-upload.zh.txt, turned from its Python-dict printout into
 * JSON (single quotes -> double quotes, the // comment dropped). Placeholder pictures included.
 */
export function specExample(): Record<string, unknown> {
  return JSON.parse(`{
    "score": 0.16,
    "reg_pic": "",
    "group_name": "default_group",
    "identity_id": "13028",
    "identity_name": "stranger",
    "want_action": "0",
    "timestamp": 1560408984678,
    "ext_data": {
      "device_type": "1",
      "spot_pic": "xxxxx",
      "ir_pic": "xxxx",
      "recognize_face": "XXXXX",
      "info": { "age": "child", "gender": "male", "glasses": "no", "box": [], "feature": [] },
      "person_type": 1,
      "device_ip": "192.168.1.151"
    }
  }`) as Record<string, unknown>;
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export const OPTIONS = { maxPictureBytes: 1024 * 1024 };
export const CTX = { receivedAt: 1_700_000_000_000 };

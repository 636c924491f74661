/**
 * Capture-device kinds as the later formats name them (V5R6C01 ep_type, V6R2C01
 * media_device_type, in events and status reports) → the V5R3C01 device_type digit: "photo"
 * (gates and snapshot cameras push photos) is "1" snapshot camera, "rtsp" and "gb28181" (video
 * streams; V6R2C01's event table omits gb28181, its status report lists it for the same cameras)
 * and "file" (a video file) are "3" IPC dynamic, "card" (ID-card verification) is "4" access control.
 */
export const DEVICE_TYPE_DIGITS: Readonly<Record<string, string>> = { photo: '1', rtsp: '3', gb28181: '3', file: '3', card: '4' };

/** The digit of a device-kind word, undefined for any other value. */
export function deviceTypeDigit(word: unknown): string | undefined {
  return typeof word === 'string' && Object.hasOwn(DEVICE_TYPE_DIGITS, word) ? DEVICE_TYPE_DIGITS[word] : undefined;
}

export { createDeviceStatusAdapter, DEVICE_STATUS_ADAPTER_NAME, type DeviceStatusTopics } from './adapter.js';
export { decodeDeviceStatusMessage, encodeDeviceStatusMessage } from './message.js';
export { claimedStatusDevSno, normaliseDeviceStatus, type NormaliseStatusResult } from './normalise.js';
export { detectStatusFormat, firmwareVersion } from './formats.js';
export { MAX_CAMERAS, MAX_STATUS_STRING_CHARS } from './read.js';
export { STATUS_FORMATS, type BoxStatus, type CameraStatus, type DeviceStatusMessage, type OnlineStatus, type StatusFormat } from './types.js';

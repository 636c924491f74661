import { ContractError, type FieldError } from '../errors.js';
import { SCHEMA_VERSION } from '../headers.js';
import { isPlainObject } from '../values.js';
import { STATUS_FORMATS, type DeviceStatusMessage } from './types.js';

export function encodeDeviceStatusMessage(message: DeviceStatusMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/**
 * For consumers: parses a device-status message value and checks what a consumer relies on (the
 * gateway wrote the rest); throws ContractError on anything malformed.
 */
export function decodeDeviceStatusMessage(value: Buffer): DeviceStatusMessage {
  let message: unknown;
  try {
    message = JSON.parse(value.toString('utf8'));
  } catch (cause) {
    throw new ContractError('device-status message is not JSON', { cause });
  }
  const errors: FieldError[] = [];
  const expect = (ok: boolean, pointer: string, what: string) => {
    if (!ok) errors.push({ pointer, message: what });
  };
  if (!isPlainObject(message)) throw new ContractError('device-status message is not a JSON object');
  expect(message['schema_version'] === SCHEMA_VERSION, '/schema_version', `must be ${SCHEMA_VERSION}`);
  expect(message['kind'] === 'device-status', '/kind', 'must be "device-status"');
  expect(typeof message['report_id'] === 'string' && message['report_id'] !== '', '/report_id', 'must be a non-empty string');
  expect(Number.isSafeInteger(message['received_at']), '/received_at', 'must be an integer (ms)');
  expect((STATUS_FORMATS as readonly unknown[]).includes(message['source_format']), '/source_format', `must be one of ${STATUS_FORMATS.join(', ')}`);
  expect(typeof message['dev_sno'] === 'string' && message['dev_sno'] !== '', '/dev_sno', 'must be a non-empty string');
  expect(isPlainObject(message['box']), '/box', 'must be an object');
  expect(Array.isArray(message['cameras']), '/cameras', 'must be an array');
  expect(isPlainObject(message['report']), '/report', 'must be an object');
  if (errors.length > 0) {
    throw new ContractError(`invalid device-status message: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, { errors });
  }
  return message as unknown as DeviceStatusMessage;
}

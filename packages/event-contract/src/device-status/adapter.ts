import type { ParseResult, UploadAdapter } from '../adapter.js';
import { HEADERS, SCHEMA_VERSION } from '../headers.js';
import { encodeDeviceStatusMessage } from './message.js';
import { claimedStatusDevSno, normaliseDeviceStatus } from './normalise.js';

export const DEVICE_STATUS_ADAPTER_NAME = 'device-status';

export interface DeviceStatusTopics {
  deviceStatus: string;
  quarantine: string;
}

/**
 * The box's periodic status report (/DeviceStatus): one report becomes one device-status message
 * (JSON, key = dev_sno, so one box's reports stay in order). No pictures, nothing else published.
 */
export function createDeviceStatusAdapter(options: { topics: DeviceStatusTopics }): UploadAdapter {
  const { topics } = options;
  return {
    name: DEVICE_STATUS_ADAPTER_NAME,
    claimedDevSno: claimedStatusDevSno,
    parse(raw, ctx): ParseResult {
      try {
        const result = normaliseDeviceStatus(raw, ctx);
        if (!result.ok) return result;
        const { message } = result;
        const headers = {
          [HEADERS.eventId]: message.report_id,
          [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
          [HEADERS.devSno]: message.dev_sno,
          [HEADERS.sourceFormat]: message.source_format,
          [HEADERS.contentType]: 'application/json',
        };
        const value = encodeDeviceStatusMessage(message);
        return { ok: true, eventId: message.report_id, devSno: message.dev_sno, messages: [{ topic: topics.deviceStatus, key: message.dev_sno, value, headers }] };
      } catch (error) {
        // "Never throws": an unforeseen failure quarantines this report only.
        return { ok: false, errors: [{ pointer: '', message: `could not be read: ${(error as Error)?.message ?? String(error)}` }] };
      }
    },
  };
}

import type { FieldError } from '../errors.js';
import { FieldReader } from './read.js';
import { STATUS_FORMATS, type BoxStatus, type CameraStatus, type StatusFormat } from './types.js';

/** Fields that make a body a HistoryEvent (any firmware), never a status report. */
const EVENT_MARKERS = ['ext_data', 'identity_id', 'api_version', 'ep_info', 'timestamp', 'recognize_face_attr'];
const V5R3_MARKERS = ['dev_sno', 'gateway_ip', 'gateway_ext_data', 'gateway_sn', 'gateway_status'];
const V6R2_MARKERS = ['mq_license_key', 'media_devices'];

export type StatusDetection = { ok: true; format: StatusFormat } | { ok: false; errors: FieldError[] };

/**
 * The format of one report, by shape: V6R2C01 by mq_license_key or media_devices, V5R3C01 by its
 * gateway_* fields or dev_sno. A HistoryEvent posted here is named as such, so a box configured
 * with the wrong URL is easy to spot in the quarantine.
 */
export function detectStatusFormat(raw: Record<string, unknown>): StatusDetection {
  const has = (field: string) => raw[field] !== undefined && raw[field] !== null;
  // First: a V6R2C01 event has mq_license_key too, and must not be read as a report lacking its list.
  const event = EVENT_MARKERS.filter(has);
  if (event.length > 0) {
    const message = `is a HistoryEvent (it has ${event.join(', ')}), not a device status report: post events to /HistoryEvent or /EventServer/api/HistoryEvent`;
    return { ok: false, errors: [{ pointer: '', message }] };
  }
  if (V6R2_MARKERS.some(has)) return { ok: true, format: 'V6R2C01' };
  if (V5R3_MARKERS.some(has)) return { ok: true, format: 'V5R3C01' };
  const message =
    `matches no known device status report format (tried ${STATUS_FORMATS.join(', ')}): V5R3C01 needs dev_sno, gateway_ip, gateway_ext_data, sub_devices; V6R2C01 needs mq_license_key, media_devices`;
  return { ok: false, errors: [{ pointer: '', message }] };
}

export interface Converted {
  devSno: string | null;
  box: BoxStatus;
  cameras: CameraStatus[];
}

const NO_BOX: BoxStatus = {
  ip: null, name: null, status: null, sn: null, mac: null, sw_version: null, firmware_version: null, sdk_version: null,
  cpu_usage: null, memory_size_gb: null, memory_usage: null, disk_size_gb: null, disk_free_gb: null, temperature: null,
};

/** The `VERSION: V2R1C01` line of the box's build banner. */
export function firmwareVersion(swVersion: string | null): string | null {
  return swVersion?.match(/VERSION:\s*(\S+)/)?.[1] ?? null;
}

/**
 * V5R3C01 (`V5R3C01-device-status-report.md`). temperature is optional: the vendor's own example
 * (firmware V2R1C01) has none. ep_name and ep_url are optional, as documented; ep_location too,
 * since nothing depends on it.
 */
export function fromV5R3(raw: Record<string, unknown>, errors: FieldError[]): Converted {
  const top = new FieldReader(raw, [], errors);
  const devSno = top.string('dev_sno', true);
  const box: BoxStatus = { ...NO_BOX };
  box.ip = top.string('gateway_ip', true);
  box.name = top.string('gateway_name', true);
  box.status = top.onlineStatus('gateway_status', true);
  box.sn = top.string('gateway_sn', true);
  const ext = top.object_('gateway_ext_data', true);
  if (ext) {
    box.sw_version = ext.string('sw_version', true);
    box.firmware_version = firmwareVersion(box.sw_version);
    box.sdk_version = ext.string('sdk_version', true);
    box.mac = ext.string('gateway_mac', true);
    box.cpu_usage = ext.number('cpu_usage', true, { min: 0 });
    box.memory_size_gb = ext.number('memory_size', true, { min: 0 });
    box.memory_usage = ext.number('memory_usage', true, { min: 0 });
    box.disk_size_gb = ext.number('disk_size', true, { min: 0 });
    box.disk_free_gb = ext.number('disk_free_size', true, { min: 0 });
    box.temperature = ext.number('temperature', false, { min: -100, max: 300 });
  }
  const cameras: CameraStatus[] = [];
  for (const item of top.objects('sub_devices', true)) {
    const camera = {
      ep_id: item.string('ep_id', true),
      name: item.string('ep_name', false) ?? '',
      ip: item.string('ep_ip', true),
      status: item.onlineStatus('ep_status', true),
      type: item.string('ep_type', true),
      url: item.string('ep_url', false) ?? '',
      location: item.string('ep_location', false) ?? '',
      permission_id: '',
    };
    if (camera.ep_id !== null && camera.ip !== null && camera.status !== null && camera.type !== null) cameras.push(camera as CameraStatus);
  }
  return { devSno, box, cameras };
}

/**
 * V6R2C01 (`V6R2C01-device-status.md`): the field table names the list `media_devices`, the
 * vendor's example `sub_devices`; either is read. A camera is `<dev_sno>__<media_device_id>`, the
 * ep_id its events get (history-event/formats/v6r2.ts), so its reports and its events join;
 * media_device_id is optional (the example's comment says so): the camera is then
 * `<dev_sno>__<ip>`, the form V5R3C01 documents.
 */
export function fromV6R2(raw: Record<string, unknown>, errors: FieldError[]): Converted {
  const top = new FieldReader(raw, [], errors);
  const devSno = top.string('mq_license_key', true);
  const listField = raw['media_devices'] === undefined && raw['sub_devices'] !== undefined ? 'sub_devices' : 'media_devices';
  const cameras: CameraStatus[] = [];
  for (const item of top.objects(listField, true)) {
    const ip = item.string('media_device_ip', true);
    const camera = {
      ep_id: cameraEpId(devSno, item.string('media_device_id', false) || ip),
      name: item.string('media_device_name', false) ?? '',
      ip,
      status: item.onlineStatus('media_device_status', true),
      type: item.string('media_device_type', true),
      url: item.string('media_device_url', true),
      location: '',
      permission_id: item.string('permission_id', false) ?? '',
    };
    if (camera.ep_id && camera.ip !== null && camera.status !== null && camera.type !== null && camera.url !== null) cameras.push(camera as CameraStatus);
  }
  return { devSno, box: { ...NO_BOX }, cameras };
}

function cameraEpId(devSno: string | null, captureId: string | null): string | null {
  return devSno && captureId ? `${devSno}__${captureId}` : null;
}

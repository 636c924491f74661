import type { SCHEMA_VERSION } from '../headers.js';

/** The status-report dialects, named after the vendor pages they follow. */
export const STATUS_FORMATS = ['V5R3C01', 'V6R2C01'] as const;
export type StatusFormat = (typeof STATUS_FORMATS)[number];

export type OnlineStatus = 'online' | 'offline';

/**
 * The box itself, as its report describes it. V6R2C01 reports only the cameras: every field here
 * is then null (the box is known by its mq_license_key alone).
 */
export interface BoxStatus {
  /** gateway_ip, trimmed: what a later service uses to call the box's own API. */
  ip: string | null;
  name: string | null;
  status: OnlineStatus | null;
  sn: string | null;
  mac: string | null;
  /** gateway_ext_data.sw_version as sent (a multi-line build banner). */
  sw_version: string | null;
  /** The `VERSION:` line of sw_version (e.g. "V2R1C01"); null when the banner has none. */
  firmware_version: string | null;
  sdk_version: string | null;
  /** Per cent, as sent. */
  cpu_usage: number | null;
  memory_size_gb: number | null;
  /** As sent (the vendor's example: 0.77, a fraction). */
  memory_usage: number | null;
  disk_size_gb: number | null;
  disk_free_gb: number | null;
  /** Mainboard temperature, °C; null when the firmware does not send it (the vendor's own example). */
  temperature: number | null;
}

/** One capture device (camera) connected to the box. */
export interface CameraStatus {
  /** V5R3C01 ep_id; V6R2C01 `<dev_sno>__<media_device_id>` (its events' ep_id), else `<dev_sno>__<ip>` (the documented ep_id form). */
  ep_id: string;
  name: string;
  ip: string;
  status: OnlineStatus;
  /** V5R3C01 ep_type ("0" gate, "1" snapshot camera, "3" IPC, "4" access control); V6R2C01 media_device_type (rtsp, photo, file, gb28181). */
  type: string;
  url: string;
  /** V5R3C01 ep_location; "" otherwise. */
  location: string;
  /** V6R2C01 permission_id; "" otherwise. */
  permission_id: string;
}

/** The value (JSON) of a message on the device-status topic; key = dev_sno. */
export interface DeviceStatusMessage {
  schema_version: typeof SCHEMA_VERSION;
  kind: 'device-status';
  /** SHA-256 over dev_sno, the canonical report and its receive minute: a re-sent report keeps its id. */
  report_id: string;
  /** When the gateway received the report, ms since the epoch. */
  received_at: number;
  source_format: StatusFormat;
  dev_sno: string;
  box: BoxStatus;
  cameras: CameraStatus[];
  /** The report as the box sent it: nothing it sent is dropped. */
  report: Record<string, unknown>;
}

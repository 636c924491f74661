import { epochSeconds } from '@sophon/clickhouse';
import type { DeviceStatusMessage } from '@sophon/event-contract';

/** Where the message was read, kept on the row for tracing. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A row of `device_status` (deploy/clickhouse/migrations/0006_device_status.sql): every column, 18.16 zero-fills missing ones. */
export interface DeviceStatusRow {
  report_id: string;
  dev_sno: string;
  source_format: string;
  received_at: number;
  received_at_ms: number;
  box_ip: string;
  box_name: string;
  box_status: string;
  box_sn: string;
  box_mac: string;
  sw_version: string;
  firmware_version: string;
  sdk_version: string;
  cpu_usage: number | null;
  memory_size_gb: number | null;
  memory_usage: number | null;
  disk_size_gb: number | null;
  disk_free_gb: number | null;
  temperature: number | null;
  cameras_total: number;
  cameras_online: number;
  cameras_offline: number;
  report_json: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  inserted_at_ms: number;
}

/** A row of `device_cameras`: one per camera per report, in report order. */
export interface DeviceCameraRow {
  report_id: string;
  dev_sno: string;
  camera_index: number;
  ep_id: string;
  camera_name: string;
  ip: string;
  status: 'online' | 'offline';
  camera_type: string;
  url: string;
  location: string;
  permission_id: string;
  received_at: number;
  received_at_ms: number;
  inserted_at_ms: number;
}

/** The rows of one status report. Strings the format lacks (V6R2C01's box) are '', numbers NULL. */
export function deviceStatusRows(message: DeviceStatusMessage, position: KafkaPosition, insertedAtMs: number): { status: DeviceStatusRow; cameras: DeviceCameraRow[] } {
  const { box } = message;
  const online = message.cameras.filter((camera) => camera.status === 'online').length;
  const received = { received_at: epochSeconds(message.received_at), received_at_ms: message.received_at };
  const status: DeviceStatusRow = {
    report_id: message.report_id,
    dev_sno: message.dev_sno,
    source_format: message.source_format,
    ...received,
    box_ip: box.ip ?? '',
    box_name: box.name ?? '',
    box_status: box.status ?? '',
    box_sn: box.sn ?? '',
    box_mac: box.mac ?? '',
    sw_version: box.sw_version ?? '',
    firmware_version: box.firmware_version ?? '',
    sdk_version: box.sdk_version ?? '',
    cpu_usage: box.cpu_usage,
    memory_size_gb: box.memory_size_gb,
    memory_usage: box.memory_usage,
    disk_size_gb: box.disk_size_gb,
    disk_free_gb: box.disk_free_gb,
    temperature: box.temperature,
    cameras_total: message.cameras.length,
    cameras_online: online,
    cameras_offline: message.cameras.length - online,
    report_json: JSON.stringify(message.report),
    kafka_topic: position.topic,
    kafka_partition: position.partition,
    kafka_offset: position.offset,
    inserted_at_ms: insertedAtMs,
  };
  const cameras = message.cameras.map((camera, index): DeviceCameraRow => ({
    report_id: message.report_id,
    dev_sno: message.dev_sno,
    camera_index: index,
    ep_id: camera.ep_id,
    camera_name: camera.name,
    ip: camera.ip,
    status: camera.status,
    camera_type: camera.type,
    url: camera.url,
    location: camera.location,
    permission_id: camera.permission_id,
    ...received,
    inserted_at_ms: insertedAtMs,
  }));
  return { status, cameras };
}

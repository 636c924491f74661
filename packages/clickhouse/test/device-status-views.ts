/**
 * Issue 9, status reports: the device registry's tables and views (migration 0006), one scenario
 * run on 18.16 and on chdb by device-status-views.test.ts. Times are relative to the moment the
 * rows are written; every expectation has minutes of margin either side.
 */
import assert from 'node:assert/strict';
import { DATABASE } from './fixtures.js';

type Row = Record<string, unknown>;
export interface Sql {
  select(sql: string): Promise<Row[]>;
  insert(table: string, rows: Row[]): Promise<void>;
  command(sql: string): Promise<void>;
}

const MINUTE = 60_000;

function statusRow(devSno: string, reportId: string, at: number, fields: Row = {}): Row {
  return {
    report_id: reportId, dev_sno: devSno, source_format: 'V5R3C01', received_at: Math.floor(at / 1000), received_at_ms: at,
    box_ip: '192.168.1.251', box_name: 'box', box_status: 'online', box_sn: 'SN', box_mac: 'e0:a5:09:00:0e:6d',
    sw_version: 'VERSION: V5R3C01', firmware_version: 'V5R3C01', sdk_version: '1.1', cpu_usage: 5, memory_size_gb: 2,
    memory_usage: 0.5, disk_size_gb: 10, disk_free_gb: 5, temperature: 40, cameras_total: 1, cameras_online: 1, cameras_offline: 0,
    report_json: '{}', kafka_topic: 'device-status', kafka_partition: 0, kafka_offset: 0, inserted_at_ms: at, ...fields,
  };
}

function cameraRow(devSno: string, reportId: string, index: number, epId: string, status: 'online' | 'offline', at: number): Row {
  return {
    report_id: reportId, dev_sno: devSno, camera_index: index, ep_id: epId, camera_name: '', ip: '192.168.1.10', status,
    camera_type: '1', url: '', location: '', permission_id: '', received_at: Math.floor(at / 1000), received_at_ms: at, inserted_at_ms: at,
  };
}

/** BOX-A reports twice (the latest: low disk, hot, cam-1 offline; written twice), BOX-S fell silent, BOX-E only posts events, BOX-6 is a V6R2C01 box. */
export async function runDeviceRegistryScenario(sql: Sql): Promise<void> {
  const now = Date.now();
  const db = DATABASE;
  const latestA = statusRow('BOX-A', 'a2', now - 2 * MINUTE, { disk_free_gb: 0.5, temperature: 85, cameras_total: 2, cameras_offline: 1, cameras_online: 1 });
  await sql.insert(`${db}.device_status`, [statusRow('BOX-A', 'a1', now - 10 * MINUTE), statusRow('BOX-S', 's1', now - 120 * MINUTE, { firmware_version: 'V5R6C01', box_ip: '10.0.0.9' })]);
  await sql.insert(`${db}.device_status`, [latestA]);
  await sql.insert(`${db}.device_status`, [{ ...latestA, inserted_at_ms: now }]); // a Kafka replay of the latest report
  await sql.insert(`${db}.device_status`, [statusRow('BOX-6', 'b1', now - MINUTE, {
    source_format: 'V6R2C01', box_ip: '', box_name: '', box_status: '', box_sn: '', box_mac: '', sw_version: '', firmware_version: '', sdk_version: '',
    cpu_usage: null, memory_size_gb: null, memory_usage: null, disk_size_gb: null, disk_free_gb: null, temperature: null,
  })]);
  await sql.insert(`${db}.device_cameras`, [
    cameraRow('BOX-A', 'a1', 0, 'cam-1', 'online', now - 10 * MINUTE),
    cameraRow('BOX-A', 'a2', 0, 'cam-1', 'offline', now - 2 * MINUTE),
    cameraRow('BOX-A', 'a2', 1, 'cam-2', 'online', now - 2 * MINUTE),
    cameraRow('BOX-6', 'b1', 0, 'cam-6', 'online', now - MINUTE),
  ]);
  await sql.insert(`${db}.device_cameras`, [cameraRow('BOX-A', 'a2', 0, 'cam-1', 'offline', now - 2 * MINUTE)]); // its copy
  const event = (devSno: string, at: number) => ({ event_id: `e-${devSno}`, dev_sno: devSno, event_time: Math.floor(at / 1000), event_time_ms: at, received_at: Math.floor(at / 1000), received_at_ms: at });
  await sql.insert(`${db}.history_events`, [event('BOX-S', now - 90 * MINUTE), event('BOX-E', now)]);

  const latest = await sql.select(`SELECT dev_sno, box_ip, firmware_version, disk_free_gb, temperature, cameras_online, cameras_offline, toUnixTimestamp(last_report_at) AS at FROM ${db}.v_device_status_latest ORDER BY dev_sno`);
  assert.deepEqual(latest.map((row) => ({ ...row, at: Number(row['at']) })), [
    { dev_sno: 'BOX-6', box_ip: '', firmware_version: '', disk_free_gb: null, temperature: null, cameras_online: 1, cameras_offline: 0, at: Math.floor((now - MINUTE) / 1000) },
    { dev_sno: 'BOX-A', box_ip: '192.168.1.251', firmware_version: 'V5R3C01', disk_free_gb: 0.5, temperature: 85, cameras_online: 1, cameras_offline: 1, at: Math.floor((now - 2 * MINUTE) / 1000) },
    { dev_sno: 'BOX-S', box_ip: '10.0.0.9', firmware_version: 'V5R6C01', disk_free_gb: 5, temperature: 40, cameras_online: 1, cameras_offline: 0, at: Math.floor((now - 120 * MINUTE) / 1000) },
  ]);

  assert.deepEqual(await sql.select(`SELECT dev_sno, ep_id, status FROM ${db}.v_device_cameras_latest ORDER BY dev_sno, camera_index`), [
    { dev_sno: 'BOX-6', ep_id: 'cam-6', status: 'online' },
    { dev_sno: 'BOX-A', ep_id: 'cam-1', status: 'offline' },
    { dev_sno: 'BOX-A', ep_id: 'cam-2', status: 'online' },
  ]);
  const offline = await sql.select(`SELECT dev_sno, ep_id, toUnixTimestamp(last_online_at) AS online_at FROM ${db}.v_cameras_offline`);
  assert.deepEqual(offline.map((row) => ({ ...row, online_at: Number(row['online_at']) })), [{ dev_sno: 'BOX-A', ep_id: 'cam-1', online_at: Math.floor((now - 10 * MINUTE) / 1000) }]);

  const silence = async () => (await sql.select(`SELECT dev_sno, silent, threshold_minutes FROM ${db}.v_device_silence ORDER BY dev_sno`)).map((row) => [row['dev_sno'], Number(row['silent']), Number(row['threshold_minutes'])]);
  assert.deepEqual(await silence(), [['BOX-6', 0, 15], ['BOX-A', 0, 15], ['BOX-E', 0, 15], ['BOX-S', 1, 15]]);

  const firmware = await sql.select(`SELECT source_format, firmware_version, boxes, dev_snos FROM ${db}.v_firmware_versions ORDER BY source_format, firmware_version`);
  assert.deepEqual(firmware.map((row) => ({ ...row, boxes: Number(row['boxes']) })), [
    { source_format: 'V5R3C01', firmware_version: 'V5R3C01', boxes: 1, dev_snos: ['BOX-A'] },
    { source_format: 'V5R3C01', firmware_version: 'V5R6C01', boxes: 1, dev_snos: ['BOX-S'] },
    { source_format: 'V6R2C01', firmware_version: '', boxes: 1, dev_snos: ['BOX-6'] },
  ]);

  const alerts = async () => (await sql.select(`SELECT alert, dev_sno, subject, value, threshold FROM ${db}.v_device_health_alerts ORDER BY alert, dev_sno`))
    .map((row) => (row['alert'] === 'silent_box' ? { ...row, value: Number(row['value']) >= 89 } : row));
  assert.deepEqual(await alerts(), [
    { alert: 'camera_offline', dev_sno: 'BOX-A', subject: 'cam-1', value: 0, threshold: 0 },
    { alert: 'high_temperature', dev_sno: 'BOX-A', subject: '', value: 85, threshold: 80 },
    { alert: 'low_disk', dev_sno: 'BOX-A', subject: '', value: 0.5, threshold: 1 },
    { alert: 'silent_box', dev_sno: 'BOX-S', subject: '', value: true, threshold: 15 },
  ]);

  // The thresholds are settings: one minute of silence now makes BOX-A (2 minutes) silent too; 90 °C clears the temperature alert.
  await sql.command(`INSERT INTO ${db}.device_health_settings (name, value, updated_at) VALUES ('silent_minutes', 1, now()), ('temperature_max_c', 90, now())`);
  assert.deepEqual(await silence(), [['BOX-6', 0, 1], ['BOX-A', 1, 1], ['BOX-E', 0, 1], ['BOX-S', 1, 1]]);
  assert.deepEqual((await alerts()).map((row) => `${row['alert']} ${row['dev_sno']}`), ['camera_offline BOX-A', 'low_disk BOX-A', 'silent_box BOX-A', 'silent_box BOX-S']);
}

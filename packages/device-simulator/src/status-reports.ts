import { createHash } from 'node:crypto';
import type { SimulatedDevice } from './devices.js';
import { camerasOf, statusFormatOf } from './fleet.js';
import type { Random } from './random.js';

/** A status report as a box posts it to /DeviceStatus (JSON-ready). */
export type StatusReport = Record<string, unknown>;

export const DEFAULT_STATUS_PATH = '/DeviceStatus';

/**
 * Status reports in each box's format (V6R2C01 boxes their own, every other firmware V5R3C01's),
 * with load figures that move from report to report and the second camera offline now and then.
 * Every documented field is sent, temperature included (the vendor's V2R1 example lacks it).
 */
export function createStatusReportGenerator(random: Random): { next(device: SimulatedDevice): StatusReport } {
  return {
    next(device) {
      const cameras = camerasOf(device).map((camera, index) => ({ camera, online: index === 0 || !random.chance(0.1) }));
      if (statusFormatOf(device.firmware ?? 'V5R3C01') === 'V6R2C01') {
        return {
          mq_license_key: device.devSno,
          media_devices: cameras.map(({ camera, online }) => ({
            media_device_id: camera.id,
            media_device_name: camera.name,
            media_device_status: online ? 'online' : 'offline',
            media_device_ip: camera.ip,
            permission_id: camera.uuid,
            media_device_type: camera.typeWord,
            media_device_url: camera.url,
          })),
        };
      }
      const hex = createHash('sha256').update(device.devSno).digest('hex');
      const [, , c, d] = device.ip.split('.');
      const diskSize = 10.39;
      return {
        dev_sno: device.devSno,
        // Device-sync reaches a box at its reported IP: its simulated API (--box-api), else an
        // address of 198.18.0.0/15, reserved for benchmarks (RFC 2544), so that a simulated fleet
        // never sends faces to a real host of the site's LAN.
        gateway_ip: device.apiIp ?? `198.18.${c}.${d}`,
        gateway_name: `se5-${device.devSno.toLowerCase()}`,
        gateway_status: 'online',
        gateway_sn: hex.slice(0, 17).toUpperCase(),
        gateway_ext_data: {
          // The firmware version the fleet view reads is the VERSION line of this banner.
          sw_version: `build.date=2024-05-06 17:42:49 CST\nBUILD TIME: 20240506_173257\nVERSION: ${device.firmware ?? 'V5R3C01'}\n`,
          sdk_version: '1.1.56d1e91',
          gateway_mac: hex.slice(17, 29).replace(/(..)(?!$)/g, '$1:'),
          cpu_usage: Math.round(random.next() * 900) / 10,
          memory_size: 1.55,
          memory_usage: Math.round((0.3 + random.next() * 0.6) * 100) / 100,
          disk_size: diskSize,
          disk_free_size: Math.round(random.next() * diskSize * 100) / 100,
          temperature: random.int(35, 80),
        },
        sub_devices: cameras.map(({ camera, online }) => ({
          ep_id: camera.id,
          ep_name: camera.name,
          ep_ip: camera.ip,
          ep_status: online ? 'online' : 'offline',
          ep_location: camera.uuid,
          ep_type: camera.typeWord === 'rtsp' ? '3' : device.deviceType,
          ep_url: camera.url,
        })),
      };
    },
  };
}

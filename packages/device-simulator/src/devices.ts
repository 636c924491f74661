import type { Firmware } from './fleet.js';

/** One simulated box: its serial, the address it reports, and the token it posts with. */
export interface SimulatedDevice {
  devSno: string;
  /** Reported in the event (ext_data.device_ip); never contacted. */
  ip: string;
  /** ext_data.device_type: "0" gate, "1" snapshot camera, "3" IPC, "4" access control. */
  deviceType: string;
  /** Sent as ?token=, the way a box (which can only be given a URL) does; undefined for an open gateway. */
  token: string | undefined;
  /** The event and status report dialect it speaks (assignFirmware); absent: V5R3C01, the seed's. */
  firmware?: Firmware;
  /** Where it serves the create-person API (--box-api), the IP its status reports announce. */
  apiIp?: string;
}

const DEVICE_TYPES = ['0', '1', '3', '4'];

/**
 * The boxes to simulate. `--tokens token:DEV,...` (the gateway's own GATEWAY_DEVICE_TOKENS
 * format) names one box per pair; a pair with `*` (and `--token`) is a wildcard token shared by
 * `count` generated boxes SIM-0001, SIM-0002...
 */
export function simulatedDevices(options: { count: number; tokens?: string; token?: string }): SimulatedDevice[] {
  const bound: { devSno: string; token: string }[] = [];
  let wildcard = options.token;
  for (const entry of (options.tokens ?? '').split(',').map((text) => text.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const token = entry.slice(0, at).trim();
    const devSno = entry.slice(at + 1).trim();
    if (at <= 0 || !token || !devSno) throw new Error(`--tokens entry "${entry}" is not token:dev_sno`);
    if (devSno === '*') wildcard ??= token;
    else bound.push({ devSno, token });
  }
  const generated = bound.length > 0 && wildcard === undefined ? [] : Array.from({ length: options.count }, (_, i) => ({ devSno: `SIM-${String(i + 1).padStart(4, '0')}`, token: wildcard }));
  return [...bound, ...generated].map((device, index) => ({
    ...device,
    ip: `192.168.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`,
    deviceType: DEVICE_TYPES[index % DEVICE_TYPES.length]!,
  }));
}

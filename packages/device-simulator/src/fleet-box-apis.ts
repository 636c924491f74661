import { startBoxApi, type BoxApi } from './box-api.js';
import type { SimulatedDevice } from './devices.js';
import { statusFormatOf } from './fleet.js';

/** Boxes --box-api can give an address of their own: 127.18.0.2 to 127.18.255.251. */
export const MAX_BOX_APIS = 256 * 250;

/**
 * The loopback address of the index-th box's API. Every address of 127.0.0.0/8 is this machine
 * (Linux answers on all of them without configuration), so each box gets one of its own, as real
 * boxes each have their own IP, and all of them the same port, as device-sync expects.
 */
export function boxApiAddress(index: number): string {
  if (index >= MAX_BOX_APIS) throw new Error(`at most ${MAX_BOX_APIS} boxes can serve the box API`);
  return `127.18.${Math.floor(index / 250)}.${(index % 250) + 2}`;
}

export interface BoxApiSummary {
  /** Boxes serving the API, and those that received a person. */
  boxes: number;
  boxesWithPersons: number;
  /** Persons the boxes hold, and create-person requests they received (answered with an error too). */
  persons: number;
  requests: number;
  port: number;
}

export interface FleetBoxApis {
  summary(): BoxApiSummary;
  /** DEVICE_SYNC_BOX_ADDRESSES for these boxes: the boxes whose status reports carry no IP (V6R2C01) need it. */
  addressesOf(devices: SimulatedDevice[]): string;
  close(): Promise<void>;
}

/** The devices with their API address: their status reports announce it (V5R3C01 format's gateway_ip). */
export function withBoxApiAddresses(devices: SimulatedDevice[]): SimulatedDevice[] {
  return devices.map((device, index) => ({ ...device, apiIp: boxApiAddress(index) }));
}

/** Starts the create-person API of every device (given its apiIp) on `port`. */
export async function startFleetBoxApis(devices: SimulatedDevice[], port: number): Promise<FleetBoxApis> {
  const apis = new Map<string, BoxApi>();
  const closeAll = () => Promise.all([...apis.values()].map((api) => api.close()));
  try {
    for (const device of devices) {
      if (!device.apiIp) throw new Error(`box ${device.devSno} has no API address`);
      apis.set(device.devSno, await startBoxApi({ host: device.apiIp, port }));
    }
  } catch (error) {
    await closeAll();
    throw new Error(`could not serve the box API on ${port}: ${(error as Error).message}`, { cause: error });
  }
  return {
    summary() {
      const all = [...apis.values()];
      return {
        boxes: all.length,
        boxesWithPersons: all.filter((api) => api.persons.size > 0).length,
        persons: all.reduce((sum, api) => sum + api.persons.size, 0),
        requests: all.reduce((sum, api) => sum + api.requests.length, 0),
        port,
      };
    },
    addressesOf: (wanted) =>
      wanted
        .filter((device) => apis.has(device.devSno))
        .map((device) => `${device.devSno}=${apis.get(device.devSno)!.hostPort}`)
        .join(','),
    close: async () => void (await closeAll()),
  };
}

/** The boxes device-sync cannot find from their status reports: V6R2C01 reports carry no box IP. */
export function boxesWithoutReportedIp(devices: SimulatedDevice[]): SimulatedDevice[] {
  return devices.filter((device) => statusFormatOf(device.firmware ?? 'V5R3C01') === 'V6R2C01');
}

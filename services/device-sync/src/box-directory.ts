/** Where a box's API answers: `http://host:port`, no trailing slash. */
export type BoxAddress = string;

/** The box's create-person API port, when an address names none. */
export const BOX_API_PORT = 5555;

/**
 * Finds a box's API by its serial number (dev_sno). Undefined when nobody knows the box (yet): the
 * delivery is recorded as no_address and retried later, since a registry entry may appear.
 */
export interface BoxDirectory {
  address(devSno: string): Promise<BoxAddress | undefined>;
}

/** Fixed addresses from configuration (DEVICE_SYNC_BOX_ADDRESSES). */
export function configuredBoxes(addresses: ReadonlyMap<string, BoxAddress>): BoxDirectory {
  return { address: async (devSno) => addresses.get(devSno) };
}

/**
 * The first directory that knows the box wins: configuration overrides first, then the device
 * registry (registry-boxes.ts).
 */
export function chainedBoxes(...directories: BoxDirectory[]): BoxDirectory {
  return {
    async address(devSno) {
      for (const directory of directories) {
        const found = await directory.address(devSno);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/** `DEV1=10.0.0.5,DEV2=box2.site:8080,DEV3=[fd00::5]` -> dev_sno -> http://host:port. */
export function parseBoxAddresses(text: string): Map<string, BoxAddress> {
  const addresses = new Map<string, BoxAddress>();
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const devSno = entry.slice(0, eq).trim();
    const hostPort = entry.slice(eq + 1).trim();
    if (eq <= 0 || devSno === '' || hostPort === '') throw new Error(`box address "${entry}" must be DEVSNO=host[:port]`);
    let url: URL | undefined;
    try {
      url = new URL(`http://${hostPort}`);
    } catch {
      // reported below
    }
    if (!url || url.pathname !== '/' || url.search || url.hash || url.username || hostPort.includes('/')) {
      throw new Error(`box address of ${devSno} ("${hostPort}") must be host[:port]`);
    }
    if (addresses.has(devSno)) throw new Error(`box ${devSno} has two addresses`);
    addresses.set(devSno, `http://${url.hostname}:${url.port || BOX_API_PORT}`);
  }
  return addresses;
}

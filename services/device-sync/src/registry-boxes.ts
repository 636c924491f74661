import { isIP } from 'node:net';
import { sqlIdentifier, type ClickHouseClient } from '@sophon/clickhouse';
import type { Logger } from '@sophon/logger';
import type { BoxAddress, BoxDirectory } from './box-directory.js';

/**
 * The device registry as a BoxDirectory: the IP of each box's latest status report (device_status,
 * written by the analytics writer from the boxes' /DeviceStatus reports), at the box API's port.
 * A report is written by whoever holds the box's token, so only an IP literal is taken: a host
 * name, a port or a path in it (`1.2.3.4]:80/#`) would let that holder pick where pushes go.
 * The whole table of addresses is read at most once per `cacheMs`, so a batch costs no query per box;
 * a box that appears later is found after the cache expires (its deliveries wait, parked, until then).
 */
export function registryBoxes(client: ClickHouseClient, database: string, options: { apiPort: number; cacheMs?: number; logger?: Logger }): BoxDirectory {
  const cacheMs = options.cacheMs ?? 60_000;
  let cached: { at: number; addresses: Map<string, BoxAddress> } | undefined;
  let loading: Promise<Map<string, BoxAddress>> | undefined;

  const load = async (): Promise<Map<string, BoxAddress>> => {
    const result = await client.query({
      query: `SELECT dev_sno, argMax(box_ip, received_at_ms) AS ip FROM ${sqlIdentifier(database)}.device_status GROUP BY dev_sno`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ dev_sno: string; ip: string }>();
    const addresses = new Map<string, BoxAddress>();
    const refused: string[] = [];
    for (const row of rows) {
      const ip = row.ip.trim();
      if (ip === '') continue;
      if (isIP(ip) === 0 || ip.includes('%')) refused.push(row.dev_sno); // a zone id makes no URL
      else addresses.set(row.dev_sno, apiAddress(ip, options.apiPort));
    }
    if (refused.length > 0) options.logger?.warn({ devSnos: refused.slice(0, 20), count: refused.length }, 'status reports whose box IP is not an IP address: those boxes have no address');
    return addresses;
  };

  return {
    async address(devSno) {
      if (!cached || Date.now() - cached.at > cacheMs) {
        loading ??= load().finally(() => (loading = undefined));
        cached = { at: Date.now(), addresses: await loading };
      }
      return cached.addresses.get(devSno);
    },
  };
}

/** http://ip:port, IPv6 in brackets. */
function apiAddress(ip: string, port: number): BoxAddress {
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

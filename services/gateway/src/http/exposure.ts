import { isIP } from 'node:net';

export interface Exposure {
  auth: 'tokens' | 'open';
  /** Some token may post for any box (token:*). */
  wildcardToken: boolean;
  /** Where the listener binds, and the variable that set it. */
  bind: { address: string; variable: string };
  /** Where clients reach it when that differs (a container's published port). */
  publishAddress: string | undefined;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(address: string): boolean {
  if (address.toLowerCase() === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) === 6) return address === '::1' || /^::ffff:127\./i.test(address);
  return false;
}

/**
 * Why the gateway must not start as configured (unless GATEWAY_ALLOW_WILDCARD_ON_LAN), or
 * undefined. A wildcard token or no authentication lets whoever reaches the port post as any
 * box, registration requests included: fine for a trial on this machine, not for the LAN
 * unless someone says so.
 */
export function exposureProblem(exposure: Exposure): string | undefined {
  const reachedAt = exposure.publishAddress !== undefined ? { address: exposure.publishAddress, variable: 'GATEWAY_PUBLISH_ADDRESS' } : exposure.bind;
  if (isLoopback(reachedAt.address)) return undefined;
  const where = `${reachedAt.variable}=${reachedAt.address} makes the gateway reachable beyond this machine`;
  const optIn = 'or, on a network where everyone may post as any box, set GATEWAY_ALLOW_WILDCARD_ON_LAN=true';
  if (exposure.auth === 'open') {
    return `${where}, and GATEWAY_AUTH=open lets anyone there post as any box: set GATEWAY_AUTH=tokens with one token per box (GATEWAY_DEVICE_TOKENS=token:DEV_SNO,... or GATEWAY_DEVICE_TOKENS_FILE), or serve this machine only (${reachedAt.variable}=127.0.0.1), ${optIn}`;
  }
  if (exposure.wildcardToken) {
    return `${where}, and a token that may post for any box (token:*) is configured: give each box its own token in GATEWAY_DEVICE_TOKENS (token:DEV_SNO,...) or GATEWAY_DEVICE_TOKENS_FILE ("token DEV_SNO" lines) and drop the wildcard, or serve this machine only (${reachedAt.variable}=127.0.0.1), ${optIn}`;
  }
  return undefined;
}

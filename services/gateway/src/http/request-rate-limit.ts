import { windowRateLimiter } from '../ingest/device-rate-limit.js';
import type { DevicePrincipal } from './device-auth.js';

/**
 * Requests per principal per window, counted after authentication and before the body is read,
 * so a flood costs a table lookup per request, not a body read and parse; the per-device event
 * limit still applies to what gets through. A token bound to a box is that box. A wildcard token
 * (or open mode) stands for many boxes, which cannot be told apart before the body is read, so it
 * is counted per client address: each box has its own.
 */
export function requestRateLimit({ requests, windowSeconds }: { requests: number; windowSeconds: number }): (principal: DevicePrincipal, ip: string | undefined) => Promise<void> {
  const spend = windowRateLimiter({
    points: requests,
    windowSeconds,
    refusal: (who) => `${who} is over its rate limit of ${requests} requests per ${windowSeconds} s`,
  });
  return (principal, ip) => spend(requester(principal, ip), 1);
}

function requester(principal: DevicePrincipal, ip: string | undefined): string {
  if (principal.devSno !== undefined) return `the token of device ${principal.devSno}`;
  const address = ip ?? 'unknown';
  return principal.label.startsWith('ip:') ? `client ${address}` : `${principal.label} from ${address}`;
}

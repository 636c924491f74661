import type { IncomingMessage } from 'node:http';
import type { Gauge } from 'prom-client';
import { HttpError } from './http-error.js';

/**
 * Bounds the bytes of request bodies held at once, in all and per client (a box; a client address
 * for a wildcard token). A request is admitted on its Content-Length (chunked ones count as the
 * largest body allowed) and released by the caller once it is done with the body and all that was
 * made of it (its publish settled), whether or not the client is still there, so an overload is
 * refused with 503 before its body is read. The per-client share keeps one client, slow on purpose or not, from
 * holding the whole budget while every other box hears 503.
 */
export function inflightGate(options: {
  maxInflightBytes: number;
  maxInflightBytesPerClient: number;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  inflightBytes: Gauge;
  inflightRequests: Gauge;
}): (req: IncomingMessage, client: string) => () => void {
  let held = 0;
  const heldBy = new Map<string, number>();
  const atCapacity = (message: string) => new HttpError(503, 'UNAVAILABLE', message, {}, { 'Retry-After': String(options.retryAfterSeconds) });
  return (req, client) => {
    const declared = Number(req.headers['content-length']);
    const cost = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, options.maxBodyBytes) : options.maxBodyBytes;
    if (held > 0 && held + cost > options.maxInflightBytes) throw atCapacity('the gateway is at capacity; retry later');
    const own = heldBy.get(client) ?? 0;
    if (own > 0 && own + cost > options.maxInflightBytesPerClient) throw atCapacity('this client already has as many request bytes in flight as one client may; retry later');
    held += cost;
    heldBy.set(client, own + cost);
    options.inflightBytes.set(held);
    options.inflightRequests.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held -= cost;
      const left = heldBy.get(client)! - cost;
      if (left > 0) heldBy.set(client, left);
      else heldBy.delete(client);
      options.inflightBytes.set(held);
      options.inflightRequests.dec();
    };
  };
}

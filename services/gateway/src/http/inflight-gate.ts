import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gauge } from 'prom-client';
import { HttpError } from './http-error.js';

/**
 * Bounds the bytes of request bodies held at once. A request is admitted on its
 * Content-Length (chunked ones count as the largest body allowed) and released when its
 * answer is sent, so an overload is refused with 503 before its body is read.
 */
export function inflightGate(options: {
  maxInflightBytes: number;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  inflightBytes: Gauge;
  inflightRequests: Gauge;
}): (req: IncomingMessage, res: ServerResponse) => void {
  let held = 0;
  return (req, res) => {
    const declared = Number(req.headers['content-length']);
    const cost = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, options.maxBodyBytes) : options.maxBodyBytes;
    if (held > 0 && held + cost > options.maxInflightBytes) {
      throw new HttpError(503, 'UNAVAILABLE', 'the gateway is at capacity; retry later', {}, { 'Retry-After': String(options.retryAfterSeconds) });
    }
    held += cost;
    options.inflightBytes.set(held);
    options.inflightRequests.inc();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held -= cost;
      options.inflightBytes.set(held);
      options.inflightRequests.dec();
    };
    res.once('finish', release);
    res.once('close', release);
  };
}

import type { SimulatedDevice } from './devices.js';
import type { EventGenerator } from './event-generator.js';

/** One upload: what a box POSTs (a single event, or an array of up to 100 from its history). */
export interface UploadRequest {
  /** Path and query, e.g. /EventServer/api/HistoryEvent?token=... */
  path: string;
  body: Buffer;
  events: number;
  /** A JSON array (the gateway answers with per-event outcomes) rather than one event. */
  batch: boolean;
}

export interface RequestSource {
  /** Events in each upload: turns an event rate into an upload rate. */
  readonly eventsPerUpload: number;
  next(): UploadRequest;
}

export const DEFAULT_UPLOAD_PATH = '/EventServer/api/HistoryEvent';
export const MAX_BATCH = 100;

/**
 * Uploads from `devices` in turn, each carrying `batch` events of that device: batch 1 sends the
 * event itself (live upload), more send an array (history upload).
 */
export function deviceRequestSource(options: { devices: SimulatedDevice[]; generator: EventGenerator; batch: number; path?: string }): RequestSource {
  const { devices, generator, batch } = options;
  if (devices.length === 0) throw new Error('no devices to simulate');
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new RangeError(`batch must be 1..${MAX_BATCH}, got ${batch}`);
  const paths = devices.map((device) => devicePath(options.path ?? DEFAULT_UPLOAD_PATH, device));
  let turn = 0;
  return {
    eventsPerUpload: batch,
    next() {
      const index = turn++ % devices.length;
      const device = devices[index]!;
      const events = Array.from({ length: batch }, () => generator.next(device));
      return { path: paths[index]!, body: Buffer.from(JSON.stringify(batch === 1 ? events[0] : events)), events: batch, batch: batch > 1 };
    },
  };
}

/** `basePath` with the device's token as ?token=, the way a box (which can only be given a URL) sends it. */
export function devicePath(basePath: string, device: SimulatedDevice): string {
  return device.token === undefined ? basePath : `${basePath}${basePath.includes('?') ? '&' : '?'}token=${encodeURIComponent(device.token)}`;
}

/**
 * `size` uploads made up front and then sent in turn: the load generator then spends no CPU
 * building JSON while it measures (benchmarks). Re-sent uploads are what a retrying box sends.
 */
export function pooledRequestSource(source: RequestSource, size: number): RequestSource & { requests: UploadRequest[] } {
  const requests = Array.from({ length: size }, () => source.next());
  let turn = 0;
  return { requests, eventsPerUpload: source.eventsPerUpload, next: () => requests[turn++ % requests.length]! };
}

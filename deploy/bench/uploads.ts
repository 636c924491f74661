/** The uploads the benchmarks send, made with the simulator's generator. */
import {
  createEventGenerator,
  createPicturePool,
  createRandom,
  deviceRequestSource,
  pooledRequestSource,
  simulatedDevices,
  type EventProfile,
  type PicturePool,
  type RequestSource,
} from '@sophon/device-simulator';

let pictures: PicturePool | undefined;
/** Encoding the JPEGs takes about a second: once per run. */
export const picturePool = () => (pictures ??= createPicturePool(1));

/**
 * `size` uploads made before the clock starts, so the load generator spends its CPU on HTTP only.
 * Many devices: the gateway's per-device rate limit (1000 events per 10 s) must never be what
 * limits a benchmark.
 */
export function pooledUploads(options: { profile: EventProfile; size: number; batch?: number; devices?: number; token?: string; seed?: number }): RequestSource {
  return pooledRequestSource(liveUploads(options), options.size);
}

/** Uploads made as they are sent: every event new (distinct event ids), for end-to-end runs. */
export function liveUploads(options: { profile: EventProfile; batch?: number; devices?: number; token?: string; seed?: number }): RequestSource {
  const devices = simulatedDevices({ count: options.devices ?? 2000, token: options.token });
  const generator = createEventGenerator({ profile: options.profile, random: createRandom(options.seed ?? 1), pictures: options.profile === 'small' ? undefined : picturePool() });
  return deviceRequestSource({ devices, generator, batch: options.batch ?? 1 });
}

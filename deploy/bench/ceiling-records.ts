/**
 * What the publish ceilings share (kafka-publish-ceiling.ts: the gateway's producer;
 * alternative-client-ceiling.ts: another Kafka client): their BENCH_* settings, the records the
 * gateway makes of the benchmark's uploads, built before the clock starts, and the timed loop that
 * publishes them with `concurrency` publishes in flight and prints nothing but its result.
 */
import type { ProducerRecord } from '@sophon/kafka';
import type { EventProfile } from '@sophon/device-simulator';
import type { GatewayConfig } from '../../services/gateway/src/config.js';
import { UPLOAD_KINDS } from '../../services/gateway/src/upload-routes.js';
import { pooledUploads } from './uploads.js';

export interface PublishCeilingResult {
  eventsPerSecond: number;
  megabytesPerSecond: number;
  /** This process's CPU (user + system) over the measured window, in cores. */
  cores: number;
  cpuMsPerEvent: number;
}

export interface CeilingSettings {
  profile: EventProfile;
  poolSize: number;
  seed: number;
  concurrency: number;
  warmUpMs: number;
  durationMs: number;
}

export function ceilingSettings(env: NodeJS.ProcessEnv = process.env): CeilingSettings {
  return {
    profile: (env.BENCH_PROFILE ?? 'small') as EventProfile,
    poolSize: Number(env.BENCH_POOL_SIZE ?? 1000),
    seed: Number(env.BENCH_SEED ?? 1),
    concurrency: Number(env.BENCH_CONCURRENCY ?? 16),
    warmUpMs: Number(env.BENCH_WARM_UP_MS ?? 2000),
    durationMs: Number(env.BENCH_DURATION_MS ?? 10_000),
  };
}

export interface CeilingUpload {
  records: ProducerRecord[];
  events: number;
  bytes: number;
}

/** The records the gateway would publish for each upload: the history-event kind's adapter on the body. */
export function ceilingUploads(config: GatewayConfig, settings: CeilingSettings): CeilingUpload[] {
  const kind = UPLOAD_KINDS.find((candidate) => candidate.paths.includes('/HistoryEvent'))!;
  const adapter = kind.createAdapter(kind.topics(config), config);
  const source = pooledUploads({ profile: settings.profile, size: settings.poolSize, seed: settings.seed });
  const uploads: CeilingUpload[] = [];
  for (let i = 0; i < settings.poolSize; i++) {
    const upload = source.next();
    const items = upload.batch ? (JSON.parse(upload.body.toString()) as unknown[]) : [JSON.parse(upload.body.toString()) as unknown];
    const records: ProducerRecord[] = [];
    for (const item of items) {
      const parsed = adapter.parse(item, { receivedAt: Date.now(), boundDevSno: undefined, sameUpload: new Map() });
      if (!parsed.ok) throw new Error(`a benchmark upload is invalid: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
      records.push(...parsed.messages);
    }
    uploads.push({ records, events: items.length, bytes: upload.body.length });
  }
  return uploads;
}

/** Publishes `uploads` round and round for the warm-up, then for the measured window; this process's CPU over the latter. */
export async function measurePublishCeiling(
  publish: (records: ProducerRecord[]) => Promise<void>,
  uploads: CeilingUpload[],
  settings: CeilingSettings,
): Promise<PublishCeilingResult> {
  const publishFor = async (durationMs: number) => {
    const until = performance.now() + durationMs;
    let next = 0;
    let events = 0;
    let bytes = 0;
    const worker = async () => {
      while (performance.now() < until) {
        const upload = uploads[next++ % uploads.length]!;
        await publish(upload.records);
        events += upload.events;
        bytes += upload.bytes;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    return { events, bytes, seconds: (performance.now() - started) / 1000 };
  };

  await publishFor(settings.warmUpMs);
  const cpuAtStart = process.cpuUsage();
  const run = await publishFor(settings.durationMs);
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    eventsPerSecond: run.events / run.seconds,
    megabytesPerSecond: run.bytes / 1e6 / run.seconds,
    cores: cpuSeconds / run.seconds,
    cpuMsPerEvent: (cpuSeconds * 1000) / Math.max(1, run.events),
  };
}

/**
 * The gateway's second ceiling: its own producer (createGatewayProducer, the same settings) publishing
 * the records the gateway makes of the benchmark's uploads, built before the clock starts, with
 * as many publishes in flight as the load generator has uploads in flight, and no HTTP in front.
 * Whatever the gateway does more slowly than this is HTTP, parsing and checking.
 * Configured by BENCH_* variables (see below) and the gateway's own; prints "RESULT <json>".
 */
import { createLogger } from '@sophon/logger';
import type { ProducerRecord } from '@sophon/kafka';
import type { EventProfile } from '@sophon/device-simulator';
import { loadGatewayConfig } from '../../services/gateway/src/config.js';
import { createGatewayProducer } from '../../services/gateway/src/producer.js';
import { UPLOAD_KINDS } from '../../services/gateway/src/upload-routes.js';
import { pooledUploads } from './uploads.js';

export interface PublishCeilingResult {
  eventsPerSecond: number;
  megabytesPerSecond: number;
  /** This process's CPU (user + system) over the measured window, in cores. */
  cores: number;
  cpuMsPerEvent: number;
}

const settings = {
  profile: (process.env.BENCH_PROFILE ?? 'small') as EventProfile,
  poolSize: Number(process.env.BENCH_POOL_SIZE ?? 1000),
  seed: Number(process.env.BENCH_SEED ?? 1),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 16),
  warmUpMs: Number(process.env.BENCH_WARM_UP_MS ?? 2000),
  durationMs: Number(process.env.BENCH_DURATION_MS ?? 10_000),
};
const config = loadGatewayConfig({ ...process.env, LOG_LEVEL: 'warn', GATEWAY_AUTH: 'open' });
const logger = createLogger({ service: 'publish-ceiling', level: 'warn' });

// The records the gateway would publish for each upload: the history-event kind's adapter on the body.
const kind = UPLOAD_KINDS.find((candidate) => candidate.paths.includes('/HistoryEvent'))!;
const adapter = kind.createAdapter(kind.topics(config), config);
const source = pooledUploads({ profile: settings.profile, size: settings.poolSize, seed: settings.seed });
const uploads: { records: ProducerRecord[]; events: number; bytes: number }[] = [];
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

const producer = createGatewayProducer(config, logger);
await producer.connect();

/** Publishes uploads with `concurrency` in flight until `durationMs` has passed. */
async function publishFor(durationMs: number) {
  const until = performance.now() + durationMs;
  let next = 0;
  let events = 0;
  let bytes = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const upload = uploads[next++ % uploads.length]!;
      await producer.publish(upload.records);
      events += upload.events;
      bytes += upload.bytes;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: settings.concurrency }, worker));
  return { events, bytes, seconds: (performance.now() - started) / 1000 };
}

await publishFor(settings.warmUpMs);
const cpuAtStart = process.cpuUsage();
const run = await publishFor(settings.durationMs);
const cpu = process.cpuUsage(cpuAtStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const result: PublishCeilingResult = {
  eventsPerSecond: run.events / run.seconds,
  megabytesPerSecond: run.bytes / 1e6 / run.seconds,
  cores: cpuSeconds / run.seconds,
  cpuMsPerEvent: (cpuSeconds * 1000) / Math.max(1, run.events),
};
await producer.disconnect();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

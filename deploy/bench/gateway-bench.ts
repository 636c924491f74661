/**
 * Gateway: throughput and latency of small and full events at a fixed concurrency, against a bare
 * Node server measured with the same load generator and the same uploads; latency at half the
 * maximum rate; cost at 1×, 4× and 16× a base load; memory while Kafka is stalled.
 * The gateway is the local stack's process (deploy/local/stack.ts) with the consumers stopped, so
 * that it shares the two cores only with the broker and the load generator, as the baseline does.
 */
import { runLoad, type LoadResult, type RequestSource } from '@sophon/device-simulator';
import { metricValue } from '@sophon/test-kit';
import type { LocalStack } from '../local/stack.js';
import { freezeProcess, startScript } from './child-processes.js';
import { childPid, startPhase } from './process-stats.js';
import type { PublishCeilingResult } from './kafka-publish-ceiling.js';
import { formatMiB, phaseMs, type BenchSettings } from './settings.js';
import { pooledUploads } from './uploads.js';

const CONCURRENCY = 16;
const TARGETS = { bareNode: { full: 0.45, small: 0.35 }, publishCeiling: 0.7, p99AtHalfRateMs: 100 };
/** The pooled uploads of each profile, made alike (same generator and seed) here and in the publish ceiling's process. */
const POOLS = { small: { size: 4000, quickSize: 4000, seed: 1 }, full: { size: 300, quickSize: 40, seed: 2 } } as const;

interface Measured {
  load: LoadResult;
  cores: number;
  loadGeneratorCores: number;
  peakRssBytes: number;
  /** The gateway's records per Kafka send over the phase (its producer's metrics); undefined for the bare server. */
  recordsPerSend?: number;
}

/** The gateway producer's acknowledged sends and their records so far. */
async function producerSends(gatewayUrl: string): Promise<{ sends: number; records: number }> {
  const labels = { producer: 'events' };
  const [sends, records] = await Promise.all([metricValue(gatewayUrl, 'kafka_producer_sends_total', labels), metricValue(gatewayUrl, 'kafka_producer_sent_records_total', labels)]);
  return { sends, records };
}

export async function benchmarkGateway(stack: LocalStack, settings: BenchSettings): Promise<{ underLoadPeakRssBytes: number; stalledPeakRssBytes: number }> {
  const { output, recorder } = settings;
  const gatewayPid = stack.services.gateway.pid();
  const kafkaPid = childPid('mock-kafka-');
  const poolSize = (profile: 'small' | 'full') => (settings.quick ? POOLS[profile].quickSize : POOLS[profile].size);
  const uploads = {
    small: pooledUploads({ profile: 'small', size: poolSize('small'), token: stack.token, seed: POOLS.small.seed }),
    full: pooledUploads({ profile: 'full', size: poolSize('full'), token: stack.token, seed: POOLS.full.seed }),
  };
  const bare = await startScript('deploy/bench/bare-node-server.ts', 'LISTENING');
  const bareUrl = `http://127.0.0.1:${bare.value}`;
  let underLoadPeakRssBytes = 0;

  const measure = async (url: string, pid: number, source: RequestSource, options: { rate?: number; concurrency?: number } = {}): Promise<Measured> => {
    await runLoad({ url, source, concurrency: options.concurrency ?? CONCURRENCY, rate: options.rate, durationMs: phaseMs(settings, 2, 0.3) }); // warm-up: JIT, connections, metadata
    const isGateway = pid === gatewayPid;
    const sendsBefore = isGateway ? await producerSends(url) : undefined;
    const phase = startPhase({ server: pid, loadGenerator: process.pid });
    const load = await runLoad({ url, source, concurrency: options.concurrency ?? CONCURRENCY, rate: options.rate, durationMs: phaseMs(settings, 10, 0.7), retryCapMs: 1000 });
    const { server, loadGenerator } = phase.end();
    const measured: Measured = { load, cores: server!.cores, loadGeneratorCores: loadGenerator!.cores, peakRssBytes: server!.peakRssBytes };
    if (isGateway) {
      underLoadPeakRssBytes = Math.max(underLoadPeakRssBytes, server!.peakRssBytes);
      const sendsAfter = await producerSends(url);
      measured.recordsPerSend = (sendsAfter.records - sendsBefore!.records) / Math.max(1, sendsAfter.sends - sendsBefore!.sends);
    }
    return measured;
  };

  const rows: string[][] = [];
  const max: Record<'small' | 'full', { gateway: Measured; bare: Measured }> = {} as never;
  try {
    for (const profile of ['small', 'full'] as const) {
      output.line(`gateway: ${profile} events as fast as possible, bare Node baseline then gateway, concurrency ${CONCURRENCY}`);
      const baseline = await measure(bareUrl, bare.pid, uploads[profile]);
      const gateway = await measure(stack.gatewayUrl, gatewayPid, uploads[profile]);
      max[profile] = { gateway, bare: baseline };
      for (const [server, measured] of [['bare Node', baseline], ['gateway', gateway]] as const) {
        const key = `gateway.${profile}.${server === 'gateway' ? 'gateway' : 'bareNode'}`;
        rows.push([
          `${profile} events, ${server}`,
          recorder.figure(`${key}.eventsPerSecond`, measured.load.eventsPerSecond, 'events/s'),
          recorder.figure(`${key}.megabytesPerSecond`, measured.load.megabytesPerSecond, 'MB/s'),
          recorder.figure(`${key}.p50Ms`, measured.load.latencyMs.p50, 'ms'),
          recorder.figure(`${key}.p99Ms`, measured.load.latencyMs.p99, 'ms'),
          recorder.figure(`${key}.cores`, measured.cores, 'cores', 2),
          recorder.figure(`${key}.cpuMsPerEvent`, (measured.cores * 1000) / Math.max(1e-9, measured.load.eventsPerSecond), 'ms', 3),
          recorder.figure(`${key}.loadGeneratorCores`, measured.loadGeneratorCores, 'cores', 2),
          recorder.figure(`${key}.peakRssMiB`, measured.peakRssBytes / 2 ** 20, 'MiB', 0),
          measured.recordsPerSend === undefined ? '' : recorder.figure(`${key}.recordsPerSend`, measured.recordsPerSend, 'records', 1),
        ]);
      }
      const ceiling = await publishCeiling(stack, settings, profile, poolSize(profile), 'kafka-publish-ceiling.ts');
      // The same records through another client (see alternative-client-ceiling.ts): what replacing kafkajs would give.
      const alternative = await publishCeiling(stack, settings, profile, poolSize(profile), 'alternative-client-ceiling.ts');
      for (const [label, key, measured] of [
        ["the gateway's producer alone (kafkajs, no HTTP)", 'publishCeiling', ceiling],
        ['@platformatic/kafka alone, same records and guarantees', 'alternativeClientCeiling', alternative],
      ] as const) {
        rows.push([
          `${profile} events, ${label}`,
          recorder.figure(`gateway.${profile}.${key}.eventsPerSecond`, measured.eventsPerSecond, 'events/s'),
          recorder.figure(`gateway.${profile}.${key}.megabytesPerSecond`, measured.megabytesPerSecond, 'MB/s'),
          '',
          '',
          recorder.figure(`gateway.${profile}.${key}.cores`, measured.cores, 'cores', 2),
          recorder.figure(`gateway.${profile}.${key}.cpuMsPerEvent`, measured.cpuMsPerEvent, 'ms', 3),
          '',
          '',
          '',
        ]);
      }
      const ratio = gateway.load.eventsPerSecond / baseline.load.eventsPerSecond;
      const ceilingRatio = gateway.load.eventsPerSecond / ceiling.eventsPerSecond;
      rows.push([`${profile} events, gateway ÷ bare Node`, recorder.figure(`gateway.${profile}.ratioToBareNode`, ratio * 100, '%', 0), '', '', '', '', '', '', '', '']);
      rows.push([`${profile} events, gateway ÷ its producer alone`, recorder.figure(`gateway.${profile}.ratioToPublishCeiling`, ceilingRatio * 100, '%', 0), '', '', '', '', '', '', '', '']);
      recorder.target(`gateway, ${profile} events: rate vs bare Node`, ratio * 100, '>=', TARGETS.bareNode[profile] * 100, '%');
      if (profile === 'full') recorder.target('gateway, full events: rate vs its producer alone (no HTTP)', ceilingRatio * 100, '>=', TARGETS.publishCeiling * 100, '%');
    }

    for (const profile of ['small', 'full'] as const) {
      const rate = max[profile].gateway.load.eventsPerSecond / 2;
      output.line(`gateway: ${profile} events at half the maximum rate (${rate.toFixed(0)} events/s)`);
      const half = await measure(stack.gatewayUrl, gatewayPid, uploads[profile], { rate, concurrency: 64 });
      rows.push([
        `${profile} events, gateway at half its maximum rate`,
        recorder.figure(`gateway.${profile}.halfRate.eventsPerSecond`, half.load.eventsPerSecond, 'events/s'),
        recorder.figure(`gateway.${profile}.halfRate.megabytesPerSecond`, half.load.megabytesPerSecond, 'MB/s'),
        recorder.figure(`gateway.${profile}.halfRate.p50Ms`, half.load.latencyMs.p50, 'ms'),
        recorder.figure(`gateway.${profile}.halfRate.p99Ms`, half.load.latencyMs.p99, 'ms'),
        recorder.figure(`gateway.${profile}.halfRate.cores`, half.cores, 'cores', 2),
        recorder.figure(`gateway.${profile}.halfRate.cpuMsPerEvent`, (half.cores * 1000) / Math.max(1e-9, half.load.eventsPerSecond), 'ms', 3),
        recorder.figure(`gateway.${profile}.halfRate.loadGeneratorCores`, half.loadGeneratorCores, 'cores', 2),
        recorder.figure(`gateway.${profile}.halfRate.peakRssMiB`, half.peakRssBytes / 2 ** 20, 'MiB', 0),
        recorder.figure(`gateway.${profile}.halfRate.recordsPerSend`, half.recordsPerSend ?? 0, 'records', 1),
      ]);
      recorder.target(`gateway, ${profile} events: p99 at half the maximum rate`, half.load.latencyMs.p99, '<=', TARGETS.p99AtHalfRateMs, 'ms');
    }
    recorder.section({
      title: 'Gateway throughput and latency',
      method:
        `The local stack's gateway process (consumers stopped) and a bare Node HTTP server (reads the body, JSON.parse, 200) in a process of its own, ` +
        `each loaded by the simulator's engine in the benchmark process with the same pre-built uploads: single events from 2000 devices, ` +
        `small = no pictures (~3 KB), full = all four JPEGs (~0.5 MB). Maximum rate: ${CONCURRENCY} uploads in flight, ${phaseMs(settings, 10, 0.7) / 1000} s after a warm-up. ` +
        `The producer alone: the gateway's own producer (createGatewayProducer, same settings: idempotent, acks=all, one request in flight) in a process of its own, ` +
        `publishing the records the gateway makes of the same uploads (built before the clock starts), ${CONCURRENCY} publishes in flight, no HTTP; ` +
        'then the same records through @platformatic/kafka 2.12.1 (idempotent, acks=-1, murmur2 keys; it needs Node ≥ 22.22, run here on Node 20 with a polyfill: a measurement, not a dependency of the product). ' +
        'Half rate: open loop at half the maximum, latency counted from when each upload was due. Server CPU and peak RSS are the server process\'s own; ' +
        "records per Kafka send is the gateway producer's kafka_producer_sent_records_total over kafka_producer_sends_total in the phase (publishes coalesced into one send); " +
        'the load generator (this process) shares the two cores with it and with the broker.',
      header: ['run', 'rate', 'body MB/s', 'p50', 'p99', 'server CPU', 'server CPU per event', 'load generator CPU', 'server peak RSS', 'records per Kafka send'],
      rows,
    });

    await scalingCurve(stack, settings, gatewayPid, uploads.small, max.small.gateway.load.eventsPerSecond);
    const stalledPeakRssBytes = await kafkaStall(stack, settings, gatewayPid, kafkaPid);
    return { underLoadPeakRssBytes, stalledPeakRssBytes };
  } finally {
    await bare.stop();
  }
}

/** A client publishing pre-built records of the same uploads, in a process of its own: the gateway's producer, or another client. */
async function publishCeiling(stack: LocalStack, settings: BenchSettings, profile: 'small' | 'full', poolSize: number, script: string): Promise<PublishCeilingResult> {
  settings.output.line(`gateway: ${profile} events, ${script}: pre-built records, no HTTP`);
  const ceiling = await startScript(`deploy/bench/${script}`, 'RESULT', {
    KAFKA_BROKERS: stack.kafka.brokers.join(','),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    BENCH_PROFILE: profile,
    BENCH_POOL_SIZE: String(poolSize),
    BENCH_SEED: String(POOLS[profile].seed),
    BENCH_CONCURRENCY: String(CONCURRENCY),
    BENCH_WARM_UP_MS: String(phaseMs(settings, 2, 0.3)),
    BENCH_DURATION_MS: String(phaseMs(settings, 10, 0.7)),
  }, { timeoutMs: 120_000 });
  await ceiling.stop();
  return JSON.parse(ceiling.value) as PublishCeilingResult;
}

/** Cost at 1×, 4× and 16× a base load: the base is a twentieth of the maximum small-event rate. */
async function scalingCurve(stack: LocalStack, settings: BenchSettings, gatewayPid: number, source: RequestSource, maxRate: number) {
  const { output, recorder } = settings;
  const base = maxRate / 20;
  const rows: string[][] = [];
  for (const factor of [1, 4, 16]) {
    const rate = base * factor;
    output.line(`gateway: ${factor}× load (${rate.toFixed(0)} small events/s)`);
    const phase = startPhase({ gateway: gatewayPid });
    const load = await runLoad({ url: stack.gatewayUrl, source, concurrency: 64, rate, durationMs: phaseMs(settings, 8, 0.6) });
    const { gateway } = phase.end();
    const key = `gateway.scaling.x${factor}`;
    rows.push([
      `${factor}×`,
      recorder.figure(`${key}.offeredEventsPerSecond`, rate, 'events/s'),
      recorder.figure(`${key}.eventsPerSecond`, load.eventsPerSecond, 'events/s'),
      recorder.figure(`${key}.p50Ms`, load.latencyMs.p50, 'ms'),
      recorder.figure(`${key}.p99Ms`, load.latencyMs.p99, 'ms'),
      recorder.figure(`${key}.cores`, gateway!.cores, 'cores', 2),
      recorder.figure(`${key}.cpuMsPer1000Events`, (gateway!.cpuSeconds * 1e6) / Math.max(1, load.eventsAccepted), 'ms', 0),
      recorder.figure(`${key}.peakRssMiB`, gateway!.peakRssBytes / 2 ** 20, 'MiB', 0),
    ]);
  }
  recorder.section({
    title: 'Gateway: how cost grows with load',
    method: `Small single events offered at a steady rate (open loop, up to 64 in flight) at 1×, 4× and 16× a twentieth of the maximum rate measured above.`,
    header: ['load', 'offered', 'accepted', 'p50', 'p99', 'gateway CPU', 'CPU per 1000 events', 'gateway peak RSS'],
    rows,
  });
}

/**
 * Kafka stalled (the broker SIGSTOPped: connections stay open, nothing is answered) under batches of
 * full events from many boxes at once: publishes wait for their timeout, bodies pile up until the
 * in-flight limit answers 503, and the gateway's memory must stay bounded.
 */
async function kafkaStall(stack: LocalStack, settings: BenchSettings, gatewayPid: number, kafkaPid: number): Promise<number> {
  const { output, recorder } = settings;
  const stallMs = phaseMs(settings, 15, 1.5);
  const source = pooledUploads({ profile: 'full', size: settings.quick ? 6 : 40, batch: 10, token: stack.token, seed: 3 });
  output.line(`gateway: Kafka stalled for ${stallMs / 1000} s under batches of 10 full events, 64 uploads in flight`);
  const phase = startPhase({ gateway: gatewayPid });
  const loading = runLoad({ url: stack.gatewayUrl, source, concurrency: 64, durationMs: stallMs + phaseMs(settings, 4, 1), retryCapMs: 1000, maxAttempts: 100 });
  await freezeProcess(kafkaPid, phaseMs(settings, 1, 0.3), stallMs);
  const load = await loading;
  const { gateway } = phase.end();
  recorder.section({
    title: 'Gateway memory while Kafka is stalled',
    method:
      `Batches of 10 full events (~5 MB each), 64 in flight (more than the 256 MiB GATEWAY_MAX_INFLIGHT_BYTES), Kafka SIGSTOPped for ${stallMs / 1000} s ` +
      '(longer than the 10 s publish timeout); the simulator retries 503s after at most 1 s. Bound: 2 × the in-flight limit: a request waiting on Kafka holds only its records (about 0.75 of its body), the parsed body is released before the publish.',
    header: ['figure', 'value'],
    rows: [
      ['gateway peak RSS', recorder.figure('gateway.kafkaStall.peakRssMiB', gateway!.peakRssBytes / 2 ** 20, 'MiB', 0)],
      // Counts, not figures: either may rightly be 0 in a short (quick) stall.
      ['503 answers (at capacity or publish timeout)', String(load.statuses['503'] ?? 0)],
      ['events accepted during the run', String(load.eventsAccepted)],
    ],
  });
  // Bounded: a request waiting on Kafka holds only its records (its parsed body is released before
  // the publish), so 2 × GATEWAY_MAX_INFLIGHT_BYTES (256 MiB) is the bound we hold it to.
  recorder.target('gateway, memory bounded while Kafka stalls (peak RSS)', gateway!.peakRssBytes / 2 ** 20, '<=', 512, 'MiB');
  output.line(`gateway: peak RSS ${formatMiB(gateway!.peakRssBytes)} while Kafka was stalled`);
  return gateway!.peakRssBytes;
}

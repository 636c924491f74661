/**
 * End to end on the local stack (every service a process): events posted at a steady rate until
 * their row is queryable in ClickHouse; each service's CPU and peak memory meanwhile; then the
 * same load with Kafka stalled, for each service's peak memory.
 */
import { runLoad, type LatencySummary, type LoadResult } from '@sophon/device-simulator';
import { clickhouseClient } from '../local/clients.js';
import { DATABASE, LOCAL_WRITER_FLUSH_INTERVAL_MS, MOCK_BROKER_CONSUMER_MAX_WAIT_MS, type LocalStack, type ServiceName } from '../local/stack.js';
import { waitFor } from '@sophon/test-kit';
import { freezeProcess } from './child-processes.js';
import { childPid, startPhase } from './process-stats.js';
import { phaseMs, type BenchSettings } from './settings.js';
import { POLL_MS, watchQueryable } from './queryable-events.js';
import { liveUploads } from './uploads.js';

const SERVICES: ServiceName[] = ['gateway', 'analytics-writer', 'image-store', 'registration-worker'];

export interface ServiceMemory {
  /** Peak RSS per service at the steady end-to-end load, and while Kafka was stalled under it. */
  steady: Record<string, { peakRssBytes: number; cores: number }>;
  stalled: Record<string, { peakRssBytes: number; cores: number }>;
}

export async function benchmarkEndToEnd(stack: LocalStack, settings: BenchSettings): Promise<ServiceMemory> {
  const { output, recorder } = settings;
  const pids = Object.fromEntries(SERVICES.map((name) => [name, stack.services[name].pid()]));
  // The rate: a site of about a hundred boxes (the capacity benchmark finds how many more fit).
  const rate = 10;
  // A minute: the p99 of 600 events is their 6th slowest; of 200 (20 s) it moved 0.35–1.2 s between runs.
  const durationMs = phaseMs(settings, 60, 2);
  const clickhouse = clickhouseClient(stack.clickhouse, DATABASE);
  for (const name of SERVICES.filter((n) => n !== 'gateway')) {
    await waitFor(async () => (await fetch(`${stack.services[name].opsUrl}/readyz`)).ok, `${name} ready`, 60_000, 200);
  }

  output.line(`end to end: ${rate} mixed events/s for ${durationMs / 1000} s, posted until queryable in ClickHouse`);
  const watch = watchQueryable(clickhouse);
  const phase = startPhase(pids);
  let load: LoadResult;
  try {
    load = await runLoad({
      url: stack.gatewayUrl,
      source: liveUploads({ profile: 'mixed', devices: 50, token: stack.token, seed: 4 }),
      concurrency: 16,
      rate,
      durationMs,
      onAnswer: (answer) => watch.onAnswer(answer),
    });
    await watch.allQueryable(120_000);
  } finally {
    await watch.stop();
  }
  const steady = phase.end();
  await clickhouse.close();

  const { total, toGateway, throughKafka, intoClickHouse } = watch.latency();
  const stage = (summary: LatencySummary) => `${summary.p50.toFixed(0)} / ${summary.p99.toFixed(0)} ms`;
  recorder.section({
    title: 'End to end: event posted → row queryable',
    method:
      `The local stack (every service a process, with its settings: consumers fetch with a ${MOCK_BROKER_CONSUMER_MAX_WAIT_MS} ms wait, ` +
      `the writer flushes after ${LOCAL_WRITER_FLUSH_INTERVAL_MS} ms; deploy/local/stack.ts says why). ` +
      `${rate} mixed events/s (40 % with all four pictures, 35 % scene and face, 25 % none) from 50 boxes for ${durationMs / 1000} s; ` +
      `ClickHouse polled every ${POLL_MS} ms for the new event ids, so figures include up to ${POLL_MS} ms of polling. ` +
      'The stages (p50 / p99) come from each row: received_at_ms (the gateway) and inserted_at_ms (the writer had it from Kafka).',
    header: ['figure', 'value'],
    rows: [
      ['events posted and found', recorder.figure('endToEnd.events', watch.postedCount, 'events', 0)],
      ['p50', recorder.figure('endToEnd.p50Ms', total.p50, 'ms', 0)],
      ['p99', recorder.figure('endToEnd.p99Ms', total.p99, 'ms', 0)],
      ['max', recorder.figure('endToEnd.maxMs', total.max, 'ms', 0)],
      ['posting p99 (gateway answer)', recorder.figure('endToEnd.postP99Ms', load.latencyMs.p99, 'ms', 0)],
      ['stage: posted → gateway received', stage(toGateway)],
      ['stage: gateway → writer had it from Kafka (publish, fetch)', stage(throughKafka)],
      ['stage: writer → row queryable (batching, insert, poll)', stage(intoClickHouse)],
    ],
  });
  recorder.target(`end to end, p99 posted → queryable at ${rate} mixed events/s`, total.p99, '<=', 1000, 'ms');

  const stalled = await stallUnderLoad(stack, settings, pids, rate);
  return { steady, stalled };
}

/** The same steady load with the broker SIGSTOPped: connections stay open and nothing is answered. */
async function stallUnderLoad(stack: LocalStack, settings: BenchSettings, pids: Record<string, number>, rate: number) {
  const kafkaPid = childPid('mock-kafka-');
  const stallMs = phaseMs(settings, 15, 1.5);
  settings.output.line(`end to end: Kafka stalled for ${stallMs / 1000} s under the same load`);
  const phase = startPhase(pids);
  const loading = runLoad({
    url: stack.gatewayUrl,
    source: liveUploads({ profile: 'mixed', devices: 50, token: stack.token, seed: 5 }),
    concurrency: 64,
    rate,
    durationMs: stallMs + phaseMs(settings, 4, 1),
    retryCapMs: 1000,
  });
  await freezeProcess(kafkaPid, phaseMs(settings, 1, 0.3), stallMs);
  await loading;
  return phase.end();
}

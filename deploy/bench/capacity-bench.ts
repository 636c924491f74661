/**
 * Capacity: how many boxes, each posting one mixed event every 10 s, one machine serves with the
 * whole pipeline on it (the local stack: gateway, broker, the four consumers, ClickHouse, s3rver,
 * and the load generator), with no consumer lag growing and event posted → row queryable p99
 * under 2 s. The box count is doubled until a step fails, then bisected once; each step runs
 * for a fixed window, then must drain (every row queryable, every consumer group caught up) within
 * a few seconds. The CPU each process spent per event gives the sizing of a split deployment.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runLoad, type LoadResult } from '@sophon/device-simulator';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { waitFor } from '@sophon/test-kit';
import { clickhouseClient } from '../local/clients.js';
import { DATABASE, type LocalStack, type ServiceName } from '../local/stack.js';
import { childPid, startPhase } from './process-stats.js';
import { POLL_MS, watchQueryable, type QueryableLatency, type QueryableWatch } from './queryable-events.js';
import type { BenchSettings } from './settings.js';
import { liveUploads } from './uploads.js';

const SECONDS_BETWEEN_EVENTS = 10;
const P99_BOUND_MS = 2000;
/** Left after a window, a pipeline that keeps up is through its last cycle in well under this. */
const DRAIN_BOUND_MS = 5000;
/** How long a failed step may take to drain before the next one (its backlog must not count against it). */
const DRAIN_LIMIT_MS = 90_000;
/** Full: about 35 s a step, five or six steps. Quick (the smoke test): two short ones. */
const STEPS = { full: { first: 100, windowSeconds: 25, maxSteps: 6, bisect: true, restSeconds: 5 }, quick: { first: 20, windowSeconds: 1.5, maxSteps: 2, bisect: false, restSeconds: 0.5 } };

/** The consumer groups whose lag must not grow, and what they read (device-sync's retry topic holds parked deliveries on purpose). */
const GROUPS: Record<string, string[]> = {
  'analytics-writer': ['history-events'],
  'registration-worker': ['history-events'],
  'image-store': ['event-images'],
  'device-sync': ['face-registrations'],
};
const SERVICES: ServiceName[] = ['gateway', 'analytics-writer', 'image-store', 'registration-worker', 'device-sync'];
/** Columns of the CPU table: each process of the machine, the stand-ins for Kafka, MinIO last. */
const PROCESSES = ['gateway', 'analytics-writer', 'image-store', 'registration-worker', 'device-sync', 'ClickHouse', 'broker (mock)', 's3rver', 'load generator'] as const;
type ProcessName = (typeof PROCESSES)[number];

interface Step {
  boxes: number;
  load: LoadResult;
  latency: QueryableLatency;
  lagAtEnd: Record<string, number>;
  /** From the end of the window until every row was queryable and every group caught up; undefined: not within DRAIN_LIMIT_MS. */
  drainMs: number | undefined;
  /** CPU seconds per process over the window and the drain. */
  cpuSeconds: Record<ProcessName, number>;
  /** Busy cores of the whole machine (every process on it, ours or not) over the window. */
  machineCores: number;
  failures: string[];
}

export interface CapacityOptions {
  /** The pid of the S3 server process when it is not s3rver in this process. */
  s3Pid?: number;
}

export async function benchmarkCapacity(stack: LocalStack, settings: BenchSettings, options: CapacityOptions = {}): Promise<void> {
  const { output } = settings;
  const plan = stepPlan(settings);
  const machine = describeMachine();
  output.line(`capacity: ${machine.text}`);
  for (const name of SERVICES.filter((n) => n !== 'gateway')) {
    await waitFor(async () => (await fetch(`${stack.services[name].opsUrl}/readyz`)).ok, `${name} ready`, 60_000, 200);
  }
  const pids: Partial<Record<ProcessName, number>> = {
    ...Object.fromEntries(SERVICES.map((name) => [name, stack.services[name].pid()])),
    ClickHouse: childPid('clickhouse-server'),
    'broker (mock)': childPid('mock-kafka-'),
    // s3rver in this process is the load generator's CPU too: then it has no column of its own.
    ...(options.s3Pid ? { s3rver: options.s3Pid } : {}),
    'load generator': process.pid,
  };

  const clickhouse = clickhouseClient(stack.clickhouse, DATABASE);
  const admin = createKafkaClient({ brokers: stack.kafka.brokers, clientId: 'bench-capacity' }, createLogger({ service: 'bench', level: 'silent' })).admin();
  await admin.connect();
  const steps: Step[] = [];
  let idleCores = {} as Record<ProcessName, number>;
  let pollCores = 0;
  let watch: QueryableWatch | undefined;
  try {
    // What earlier benchmarks left (the end-to-end bench stalls Kafka) is drained first.
    await waitFor(async () => totalLag(await lagByGroup(admin)) === 0, 'the pipeline drained before the capacity run', DRAIN_LIMIT_MS, 250);
    // What each process spends with no load (heartbeats, fetches, ClickHouse's own work), so that
    // the per-event cost excludes it; with and without the benchmark's own polling of ClickHouse.
    const quiet = await coresAtRest(pids, plan.restSeconds);
    watch = watchQueryable(clickhouse);
    idleCores = await coresAtRest(pids, plan.restSeconds);
    pollCores = Math.max(0, idleCores.ClickHouse - quiet.ClickHouse);
    /** True when the step passed; undefined when it did not drain, and no later step could be measured. */
    const run = async (boxes: number): Promise<boolean | undefined> => {
      output.line(`capacity: ${boxes} boxes (${boxes / SECONDS_BETWEEN_EVENTS} events/s) for ${plan.windowSeconds} s`);
      const step = await runStep(stack, watch!, admin, pids, boxes, plan.windowSeconds * 1000, steps.length);
      steps.push(step);
      output.line(`capacity: ${boxes} boxes ${step.failures.length === 0 ? 'passed' : `failed: ${step.failures.join('; ')}`}`);
      return step.drainMs === undefined ? undefined : step.failures.length === 0;
    };
    let passed: number | undefined;
    let failed: number | undefined;
    // Double up from the first count (or halve down while it fails), then bisect once between the two.
    for (let boxes = plan.first; steps.length < plan.maxSteps && boxes >= 10; ) {
      const result = await run(boxes);
      if (result === undefined) break;
      if (result) {
        passed = boxes;
        if (failed !== undefined) break;
        boxes *= 2;
      } else {
        failed = boxes;
        if (passed !== undefined) break;
        boxes = Math.floor(boxes / 2);
      }
    }
    if (plan.bisect && passed !== undefined && failed !== undefined && failed > passed) {
      const middle = Math.round((passed + failed) / 2 / 10) * 10;
      if (middle > passed && middle < failed) await run(middle);
    }
  } finally {
    await watch?.stop();
    await admin.disconnect();
    await clickhouse.close();
  }
  report(steps, idleCores, pollCores, settings, machine, options.s3Pid !== undefined);
}

async function coresAtRest(pids: Partial<Record<ProcessName, number>>, seconds: number): Promise<Record<ProcessName, number>> {
  const rest = startPhase(pids as Record<string, number>);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = rest.end();
  return Object.fromEntries(PROCESSES.map((name) => [name, used[name]?.cores ?? 0])) as Record<ProcessName, number>;
}

async function runStep(
  stack: LocalStack,
  watch: QueryableWatch,
  admin: Admin,
  pids: Partial<Record<ProcessName, number>>,
  boxes: number,
  windowMs: number,
  seed: number,
): Promise<Step> {
  watch.reset();
  const phase = startPhase(pids as Record<string, number>);
  const machineAtStart = machineCpuSeconds();
  const started = performance.now();
  const load = await runLoad({
    url: stack.gatewayUrl,
    source: liveUploads({ profile: 'mixed', devices: boxes, token: stack.token, seed: 100 + seed }),
    concurrency: 64,
    rate: boxes / SECONDS_BETWEEN_EVENTS,
    durationMs: windowMs,
    retryCapMs: 1000,
    onAnswer: (answer) => watch.onAnswer(answer),
  });
  const machineCores = (machineCpuSeconds() - machineAtStart) / ((performance.now() - started) / 1000);
  const windowEnd = performance.now();
  const lagAtEnd = await lagByGroup(admin);

  let drainMs: number | undefined;
  try {
    await watch.allQueryable(DRAIN_LIMIT_MS);
    await waitFor(async () => totalLag(await lagByGroup(admin)) === 0, 'every consumer group caught up', DRAIN_LIMIT_MS, 100);
    drainMs = performance.now() - windowEnd;
  } catch {
    drainMs = undefined;
  }
  const cpu = phase.end();
  const latency = watch.latency();

  const failures: string[] = [];
  const refused = Object.entries(load.statuses).filter(([status]) => status !== '200');
  if (refused.length > 0 || load.eventsAccepted !== load.eventsSent) {
    failures.push(`answers other than 200: ${refused.map(([status, count]) => `${count} × ${status}`).join(', ') || `${load.eventsSent - load.eventsAccepted} events not accepted`}`);
  }
  if (latency.total.p99 >= P99_BOUND_MS) failures.push(`p99 ${latency.total.p99.toFixed(0)} ms ≥ ${P99_BOUND_MS} ms`);
  if (drainMs === undefined || drainMs > DRAIN_BOUND_MS) {
    const behind = Object.entries(lagAtEnd).filter(([, lag]) => lag > 0).map(([group, lag]) => `${group} ${lag}`);
    failures.push(`drained in ${drainMs === undefined ? `over ${DRAIN_LIMIT_MS / 1000}` : (drainMs / 1000).toFixed(1)} s (> ${DRAIN_BOUND_MS / 1000} s; messages behind at the window's end: ${behind.join(', ') || 'none'})`);
  }
  const cpuSeconds = Object.fromEntries(PROCESSES.map((name) => [name, cpu[name]?.cpuSeconds ?? NaN])) as Record<ProcessName, number>;
  return { boxes, load, latency, lagAtEnd, drainMs, cpuSeconds, machineCores, failures };
}

type Admin = ReturnType<ReturnType<typeof createKafkaClient>['admin']>;

/** Messages each group has still to process: the topics' end offsets minus the group's committed offsets. */
async function lagByGroup(admin: Admin): Promise<Record<string, number>> {
  const topics = [...new Set(Object.values(GROUPS).flat())];
  const ends = new Map<string, Map<number, number>>();
  for (const topic of topics) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, Number(high)])));
  const lag: Record<string, number> = {};
  for (const [groupId, groupTopics] of Object.entries(GROUPS)) {
    lag[groupId] = 0;
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: groupTopics })) {
      for (const { partition, offset } of partitions) lag[groupId] += Math.max(0, ends.get(topic)!.get(partition)! - Math.max(0, Number(offset)));
    }
  }
  return lag;
}

const totalLag = (lag: Record<string, number>) => Object.values(lag).reduce((sum, value) => sum + value, 0);

/** CPU seconds every process of the machine has spent (all cores): /proc/stat's first line without idle and iowait. */
function machineCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ
}

interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  text: string;
}

function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
  const cores = cpus().length;
  const memoryGiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 2 ** 20;
  return { cpuModel, cores, memoryGiB, text: `${cores} × ${cpuModel}, ${memoryGiB.toFixed(1)} GiB RAM, Node ${process.version}` };
}

function report(steps: Step[], idleCores: Record<ProcessName, number>, pollCores: number, settings: BenchSettings, machine: Machine, s3OwnProcess: boolean): void {
  const { recorder } = settings;
  const passing = steps.filter((step) => step.failures.length === 0).sort((a, b) => b.boxes - a.boxes);
  const best = passing[0];
  const firstFailure = steps.filter((step) => step.failures.length > 0 && (!best || step.boxes > best.boxes)).sort((a, b) => a.boxes - b.boxes)[0];
  const ms = (value: number) => value.toFixed(0);
  const columns = PROCESSES.filter((name) => name !== 's3rver' || s3OwnProcess);

  recorder.section({
    title: 'Capacity: boxes one machine serves, whole pipeline on it',
    method:
      `Measured on ${machine.text}, with every process of the local stack on it (gateway, mock broker, the four consumers, ClickHouse 18.16, s3rver, and the load generator). ` +
      `Each box posts one mixed event every ${SECONDS_BETWEEN_EVENTS} s (40 % with all four pictures, 35 % scene and face, 25 % none); steps of ${stepPlan(settings).windowSeconds} s, the box count doubled until a step fails, then bisected once. ` +
      `A step passes when every event is answered 200, posted → queryable p99 < ${P99_BOUND_MS / 1000} s, and within ${DRAIN_BOUND_MS / 1000} s of the window's end every row is queryable and every consumer group ` +
      `(${Object.entries(GROUPS).map(([group, topics]) => `${group} on ${topics.join(', ')}`).join('; ')}) has committed every message: lag that keeps growing cannot drain so soon. ` +
      'CPU in cores over the window and its drain; "machine" is every process on it (on a shared machine, other work too).',
    header: ['boxes', 'events/s', 'MB/s', 'p50 / p99', 'drained in', ...columns.map((name) => `${name} (cores)`), 'machine (cores)', 'result'],
    rows: steps.map((step) => {
      const seconds = step.load.elapsedMs / 1000 + (step.drainMs ?? 0) / 1000;
      return [
        String(step.boxes),
        step.load.eventsPerSecond.toFixed(1),
        step.load.megabytesPerSecond.toFixed(1),
        `${ms(step.latency.total.p50)} / ${ms(step.latency.total.p99)} ms`,
        step.drainMs === undefined ? `> ${DRAIN_LIMIT_MS / 1000} s` : `${(step.drainMs / 1000).toFixed(1)} s`,
        ...columns.map((name) => (step.cpuSeconds[name] / seconds).toFixed(2)),
        step.machineCores.toFixed(2),
        step.failures.length === 0 ? 'pass' : `**fail**: ${step.failures.join('; ')}`,
      ];
    }),
  });

  if (!best) {
    settings.output.line('capacity: no step passed');
    return;
  }
  recorder.figure('capacity.boxes', best.boxes, 'boxes', 0);
  recorder.figure('capacity.eventsPerSecond', best.load.eventsPerSecond, 'events/s');
  recorder.figure('capacity.megabytesPerSecond', best.load.megabytesPerSecond, 'MB/s');
  recorder.figure('capacity.p99Ms', best.latency.total.p99, 'ms', 0);

  // Boxes one core of each process serves: a box costs (CPU per event) / 10 s, on top of what the process spends at rest.
  const events = best.load.eventsAccepted;
  const seconds = best.load.elapsedMs / 1000 + (best.drainMs ?? 0) / 1000;
  const sizing = columns.map((name) => {
    const msPerEvent = (Math.max(0, best.cpuSeconds[name] - idleCores[name] * seconds) * 1000) / events;
    const boxesPerCore = msPerEvent > 0 ? (1000 * SECONDS_BETWEEN_EVENTS) / msPerEvent : Infinity;
    return { name, atRest: idleCores[name], msPerEvent, boxesPerCore };
  });
  for (const { name, boxesPerCore } of sizing) {
    if (Number.isFinite(boxesPerCore) && ['gateway', 'analytics-writer', 'image-store', 'registration-worker'].includes(name)) {
      recorder.figure(`capacity.boxesPerCore.${name}`, boxesPerCore, 'boxes', 0);
    }
  }
  const limit = firstFailure
    ? `The next step, ${firstFailure.boxes} boxes, failed: ${firstFailure.failures.join('; ')}; the machine was ${firstFailure.machineCores.toFixed(2)} of ${machine.cores} cores busy ` +
      `(stages p99: to the gateway ${ms(firstFailure.latency.toGateway.p99)} ms, through Kafka ${ms(firstFailure.latency.throughKafka.p99)} ms, into ClickHouse ${ms(firstFailure.latency.intoClickHouse.p99)} ms).`
    : 'No step failed: the figure is a lower bound.';
  recorder.section({
    title: 'Capacity: sizing a split deployment',
    method:
      `${best.boxes} boxes (${best.load.eventsPerSecond.toFixed(1)} events/s, ${best.load.megabytesPerSecond.toFixed(1)} MB/s) passed, p99 ${ms(best.latency.total.p99)} ms. ${limit} ` +
      'Each process: its CPU with no load, its CPU per event at that step beyond that, and the boxes (one event each 10 s) one core of it would serve at 100 % busy; ' +
      'size with headroom (e.g. 60 % of it). The broker, ClickHouse and s3rver rows are the test stand-ins (librdkafka\'s mock, ClickHouse 18.16, s3rver), not Kafka and MinIO; ' +
      `ClickHouse's include the benchmark's own polling (${(1000 / POLL_MS).toFixed(0)} queries a second: ${pollCores.toFixed(3)} cores at rest).`,
    header: ['process', 'at rest', 'CPU per event', 'boxes per core'],
    rows: sizing.map(({ name, atRest, msPerEvent, boxesPerCore }) => [
      name,
      `${atRest.toFixed(3)} cores`,
      `${msPerEvent.toFixed(2)} ms`,
      Number.isFinite(boxesPerCore) ? boxesPerCore.toFixed(0) : '–',
    ]),
  });
}

const stepPlan = (settings: BenchSettings) => (settings.quick ? STEPS.quick : STEPS.full);

/**
 * The whole product on local servers, without Docker: the test kit's mock Kafka, ClickHouse
 * (migrated, with the analyst user) and s3rver (with the bucket), then the gateway and the
 * three consumers as processes of their own, started from their real entry points with the
 * environment compose would give them. Used by `pnpm dev`, the end-to-end tests and the benchmarks.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import { legacyAnalystUser } from '@sophon/clickhouse';
import { freePort, MOCK_KAFKA_CONSUMER_ENV, startClickHouse, startKafka, startS3, stopChild, type ClickHouseServer, type KafkaServer, type S3Server } from '@sophon/test-kit';
import { DEFAULT_TOPICS_FILE, readTopicDefinitions } from '@sophon/kafka';
import { spawnEntry, startServiceProcess } from './service-process.js';

export const BUCKET = 'sophon-events';
export const DATABASE = 'sophon';

/**
 * Partitions per topic on the mock broker. It keeps only the newest ~5 MB of each partition
 * (librdkafka's mock drops older record batches; the size cannot be set), so a consumer that
 * falls further behind than partitions × 5 MB loses messages (the consumers then log
 * "offsets lost" and count consumer_offset_out_of_range_total). Pictures are most of the bytes:
 * `pnpm simulate` at full rate sends ~10 MB/s of them, and 64 partitions keep ~320 MB (about half
 * a minute of that) for the image store to catch up on. Other topics: 8 partitions, ~40 MB each.
 */
export const LOCAL_PARTITIONS: Readonly<Record<string, number>> = { 'event-images': 64 };
const DEFAULT_LOCAL_PARTITIONS = 8;

/**
 * How long the consumers' fetches wait on the mock broker. Kafka answers a waiting fetch as soon
 * as a record arrives, so there the wait (CONSUMER_MAX_WAIT_MS, 500 by default) only paces an
 * idle consumer. librdkafka's mock answers an empty fetch only when the whole wait is over
 * ("we should cut the wait short ... but that is too much of a hassle", rdkafka_mock_handlers.c),
 * so an event posted just after a fetch began waited that long here before any consumer saw it.
 * 100 ms: about ten empty fetches a second per idle consumer, which costs next to nothing.
 */
export const MOCK_BROKER_CONSUMER_MAX_WAIT_MS = '100';

/**
 * The analytics writer's insert wait (ANALYTICS_FLUSH_INTERVAL_MS) here. kafkajs fetches again
 * only once every batch of the last fetch is stored, so rows waiting for the timer hold up the
 * next fetch as well: an event waits for the cycle under way, then a cycle of its own. On the
 * mock broker, which returns one produced batch per partition and fetch, an event may need a
 * few cycles, so they are kept short: at 10 events/s, p99 posted → queryable fell from ~0.9–1.4 s
 * (200 ms, with 500 ms fetch waits) to ~0.4–0.5 s, about as low as with 50 ms, which sends twice
 * the inserts (each a ClickHouse part to write and merge). Since the writer inserts as soon as
 * every batch it holds waits (once the last insert is this old), 100 still beats 200 here: p50 /
 * p99 175–255 / 379–587 ms against 354 / 685 ms (60 s at 10 events/s). Compose, on Kafka, where
 * one cycle is enough, keeps the writer's default, 200.
 */
export const LOCAL_WRITER_FLUSH_INTERVAL_MS = '100';

/**
 * glibc's allocator for the gateway, as compose sets it: buffers of 1 MiB and more (request
 * bodies) are mapped and unmapped on their own instead of being carved from the heap. By
 * default glibc raises that threshold to the largest block freed so far (a 5 MB body), and the
 * bodies, pictures and records of many requests then share a heap that can only shrink from its
 * top: measured with Kafka stalled, ~40–50 MiB more peak RSS (519–529 vs 478 MiB), same throughput.
 */
export const GATEWAY_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '1048576' };

export type ServiceName = 'gateway' | 'image-store' | 'analytics-writer' | 'registration-worker' | 'device-sync';
const ENTRIES: Record<ServiceName | 'migrate', string> = {
  gateway: 'services/gateway/src/main.ts',
  'image-store': 'services/image-store/src/main.ts',
  'analytics-writer': 'services/analytics-writer/src/main.ts',
  'registration-worker': 'services/registration-worker/src/main.ts',
  'device-sync': 'services/device-sync/src/main.ts',
  migrate: 'packages/clickhouse/src/migrate-cli.ts',
};

export interface StackOptions {
  kafkaPort?: number;
  gatewayPort?: number;
  /** device-sync's DEVICE_SYNC_BOX_ADDRESSES: where the boxes' own API listens. */
  boxAddresses?: string;
  /** Device token accepted for any device. */
  token?: string;
  analystPassword?: string;
  /** Consumer timings for tests (a group rejoins in ~3 s instead of ~30 s). */
  fastConsumers?: boolean;
  /**
   * An S3 server to use instead of s3rver in this process (the benchmarks run it in a process of
   * its own, away from their load generator); stop() leaves it to its owner.
   */
  s3?: S3Server;
  /** Where the services' JSON logs go: this terminal, nowhere, or appended to a file. */
  output?: StackOutput;
  /** Run every service (and the migrations) from its build, as the images do (`pnpm build` first); the benchmarks do. */
  built?: boolean;
  logLevel?: string;
}

export type StackOutput = 'inherit' | 'ignore' | { file: string };

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly opsUrl: string;
  /** The running process's pid; throws, saying how it ended, once it has exited. */
  pid(): number;
  /** SIGTERM and wait for the exit code (SIGKILL if it hangs, see stopChild). */
  stop(): Promise<number | null>;
  /** SIGKILL: no clean-up at all. */
  kill(): Promise<void>;
  /** Starts it (again), optionally with variables changed, e.g. another consumer group to replay a topic. */
  start(overrides?: Record<string, string>): Promise<void>;
  running(): boolean;
}

export interface LocalStack {
  gatewayUrl: string;
  token: string;
  kafka: KafkaServer;
  clickhouse: ClickHouseServer;
  s3: S3Server;
  analyst: { user: string; password: string };
  services: Record<ServiceName, ServiceProcess>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const token = options.token ?? 'dev-token';
  const analystPassword = options.analystPassword ?? 'analyst-dev-password';
  const topics = readTopicDefinitions(DEFAULT_TOPICS_FILE);
  const [kafka, clickhouse, s3] = await Promise.all([
    startKafka({ port: options.kafkaPort, topics: Object.fromEntries(topics.map((t) => [t.name, LOCAL_PARTITIONS[t.name] ?? DEFAULT_LOCAL_PARTITIONS])) }),
    startClickHouse({ users: [legacyAnalystUser({ password: analystPassword, database: DATABASE })] }),
    options.s3 ?? startS3({ buckets: [BUCKET] }),
  ]);

  const common: Record<string, string> = {
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    LOG_LEVEL: options.logLevel ?? 'info',
    OPS_HOST: '127.0.0.1',
    CONSUMER_MAX_WAIT_MS: MOCK_BROKER_CONSUMER_MAX_WAIT_MS,
    ...(options.fastConsumers ? MOCK_KAFKA_CONSUMER_ENV : {}),
  };
  const clickhouseVars = { CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: DATABASE };

  const output = outputStdio(options.output ?? 'inherit');
  // The schema first, as compose's one-shot job does.
  const migrateExit = await runOnce('migrate', { ...common, ...clickhouseVars }, output.stdio, options.built);
  if (migrateExit !== 0) {
    output.close();
    throw new Error(`ClickHouse migrations failed (exit ${migrateExit})`);
  }

  const gatewayPort = options.gatewayPort ?? (await freePort());
  const s3Vars = { S3_ENDPOINT: s3.url, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_REGION: s3.region, S3_BUCKET: BUCKET };
  const env: Record<ServiceName, Record<string, string>> = {
    // One fleet token for the simulator's many boxes, all from this address: the per-token request
    // rate and per-client in-flight share that guard a real site would throttle the simulator and
    // the benchmarks (the whole in-flight budget, 256 MiB by default, still holds).
    gateway: {
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_DEVICE_TOKENS: `${token}:*`,
      GATEWAY_RATE_LIMIT_REQUESTS: '1000000',
      GATEWAY_MAX_INFLIGHT_BYTES_PER_CLIENT: String(1024 * 1024 * 1024 * 1024),
      ...GATEWAY_MALLOC_ENV,
    },
    'image-store': s3Vars,
    'analytics-writer': { ...clickhouseVars, ANALYTICS_FLUSH_INTERVAL_MS: LOCAL_WRITER_FLUSH_INTERVAL_MS },
    'registration-worker': clickhouseVars,
    // Boxes' API addresses (DEVSNO=host[:port],...): none by default, so registrations wait, parked, for one.
    'device-sync': { ...clickhouseVars, ...s3Vars, DEVICE_SYNC_BOX_ADDRESSES: options.boxAddresses ?? '' },
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  for (const name of Object.keys(env) as ServiceName[]) {
    const opsPort = name === 'gateway' ? gatewayPort : await freePort();
    services[name] = serviceProcess(name, { ...common, ...env[name], OPS_PORT: String(opsPort) }, opsPort, output.stdio, options.built);
  }
  await Promise.all(Object.values(services).map((service) => service.start()));

  return {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    token,
    kafka,
    clickhouse,
    s3,
    analyst: { user: 'analyst', password: analystPassword },
    services,
    async stop() {
      await Promise.all(Object.values(services).map((service) => service.stop()));
      output.close();
      await Promise.all([kafka.close(), clickhouse.close(), options.s3 ? undefined : s3.close()]);
    },
  };
}

/** The services' stdout and stderr; a file is opened once, for appending, and closed with the stack. */
function outputStdio(output: StackOutput): { stdio: StdioOptions; close(): void } {
  if (typeof output === 'string') return { stdio: ['ignore', output, output], close: () => {} };
  const fd = openSync(output.file, 'a');
  return { stdio: ['ignore', fd, fd], close: () => closeSync(fd) };
}

function serviceProcess(name: ServiceName, env: Record<string, string>, opsPort: number, stdio: StdioOptions, built = false): ServiceProcess {
  let child: ChildProcess | undefined;
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const exit = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    return running ? (await stopChild(running, signal)).code : null;
  };
  return {
    name,
    opsUrl,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pid() {
      if (!child) throw new Error(`${name} is stopped`);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode}) after it answered /healthz`);
      return child.pid!;
    },
    async start(overrides = {}) {
      if (child) return;
      child = await startServiceProcess(name, ENTRIES[name], opsUrl, { env: { ...env, ...overrides }, stdio, built });
    },
    stop: () => exit('SIGTERM'),
    kill: async () => void (await exit('SIGKILL')),
  };
}

async function runOnce(name: 'migrate', env: Record<string, string>, stdio: StdioOptions, built = false): Promise<number | null> {
  const child = spawnEntry(ENTRIES[name], { env, stdio, built });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

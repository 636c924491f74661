import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { freePort } from './free-port.js';
import { stopChild } from './stop-child.js';

const launcherSource = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'mock-kafka.c');

/**
 * Consumer settings for services under test against this broker: a group's first join takes
 * ~3 s here, and these keep rejoins near that (production defaults would take ~30 s).
 */
export const MOCK_KAFKA_CONSUMER_ENV: Readonly<Record<string, string>> = {
  CONSUMER_SESSION_TIMEOUT_MS: '4000',
  CONSUMER_HEARTBEAT_INTERVAL_MS: '500',
  CONSUMER_MAX_WAIT_MS: '200',
  CONSUMER_RETRY_INITIAL_MS: '100',
  CONSUMER_RETRY_MAX_MS: '1000',
};

/** Messages a consumer group has committed past on a topic, summed over its partitions. */
export async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<number> {
  const admin = createKafkaClient({ brokers, clientId: 'test-kit-offsets' }, createLogger({ service: 'test-kit', level: 'silent' })).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface KafkaServerOptions {
  /** Topics to create, name -> partition count. Others are auto-created (4 partitions) on first use. */
  topics?: Record<string, number>;
  /** Fixed port for the broker; a free one by default. */
  port?: number;
}

/** Kafka protocol error codes the fault tests use (rdkafka.h's RD_KAFKA_RESP_ERR_*). */
export const KAFKA_ERROR_CODES = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PART: 3,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  MSG_SIZE_TOO_LARGE: 10,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  NOT_ENOUGH_REPLICAS: 19,
  TOPIC_AUTHORIZATION_FAILED: 29,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
} as const;

/** Kafka API keys, for request errors. */
export const KAFKA_API_KEYS = { Produce: 0, Fetch: 1, Metadata: 3, OffsetCommit: 8, JoinGroup: 11, SyncGroup: 14, InitProducerId: 22 } as const;

/** Faults of the mock broker (rdkafka_mock.h), applied at run time. */
export interface KafkaFaults {
  /** Every request about `topic` fails with `errorCode` (0 clears it). */
  topicError(topic: string, errorCode: number): Promise<void>;
  /** The next requests of `apiKey` fail, one error code each. */
  requestErrors(apiKey: number, errorCodes: number[]): Promise<void>;
  clearRequestErrors(apiKey: number): Promise<void>;
  /** Broker `brokerId` (from 1) answers `ms` later. */
  roundTripTime(brokerId: number, ms: number): Promise<void>;
}

export interface KafkaServer {
  readonly brokers: string[];
  readonly port: number;
  readonly faults: KafkaFaults;
  /** Kill the broker (an outage). Everything it held is gone: the mock keeps nothing. */
  stop(): Promise<void>;
  /** Start it again on the same port, with the same topics, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * librdkafka's mock cluster behind a launcher of ours (native/mock-kafka.c), compiled once
 * per source version with gcc against Debian's librdkafka-dev.
 * Limits to know: no admin APIs (CreateTopics, DescribeGroups...), about 5 MB kept per partition.
 */
export async function startKafka(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const binary = await compileLauncher();
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port)];
  for (const [topic, partitions] of Object.entries(options.topics ?? {})) args.push('--topic', `${topic}:${partitions}`);

  let launched: Launched | undefined;
  // Kept while the broker is down: clients point at the same address, and find nobody there.
  let brokers: string[] = [];
  const start = async () => {
    launched ??= await launch(binary, args);
    brokers = launched.brokers;
  };
  const stop = async () => {
    const running = launched;
    launched = undefined;
    if (running) await stopChild(running.child);
  };
  const command = (line: string) => {
    if (!launched) return Promise.reject(new Error('mock Kafka is not running'));
    return launched.command(line);
  };
  await start();
  return {
    get brokers() {
      return brokers;
    },
    port,
    faults: {
      topicError: (topic, errorCode) => command(`topic-error ${topic} ${errorCode}`),
      requestErrors: (apiKey, errorCodes) => command(`request-errors ${apiKey} ${errorCodes.join(' ')}`),
      clearRequestErrors: (apiKey) => command(`clear-request-errors ${apiKey}`),
      roundTripTime: (brokerId, ms) => command(`rtt ${brokerId} ${ms}`),
    },
    start,
    stop,
    close: stop,
  };
}

interface Launched {
  child: ChildProcess;
  brokers: string[];
  /** Sends one fault command; resolves on its "OK". */
  command(line: string): Promise<void>;
}

async function launch(binary: string, args: string[]): Promise<Launched> {
  // stdin stays a pipe: the launcher exits when it closes, so it never outlives the test process.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  // Commands are answered in order, one line each.
  const answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let onBootstrap: ((line: string) => void) | undefined;
  lines.on('line', (line) => {
    if (line.startsWith('BOOTSTRAP ')) return onBootstrap?.(line.slice('BOOTSTRAP '.length).trim());
    const waiting = answers.shift();
    if (line === 'OK') waiting?.resolve();
    else waiting?.reject(new Error(`mock Kafka refused the command: ${line}`));
  });
  child.once('exit', () => {
    for (const waiting of answers.splice(0)) waiting.reject(new Error('mock Kafka exited'));
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mock Kafka did not start within 10 s')), 10_000);
    onBootstrap = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mock Kafka exited with code ${code}: ${stderr.trim()}`));
    });
    child.once('error', reject);
  });
  const command = (line: string) =>
    new Promise<void>((resolve, reject) => {
      answers.push({ resolve, reject });
      child.stdin!.write(`${line}\n`);
    });
  return { child, brokers: bootstrap.split(','), command };
}

let compiled: Promise<string> | undefined;

function compileLauncher(): Promise<string> {
  compiled ??= (async () => {
    const source = readFileSync(launcherSource);
    const digest = createHash('sha256').update(source).digest('hex').slice(0, 12);
    const dir = join(tmpdir(), 'sophon-test-kit');
    const binary = join(dir, `mock-kafka-${digest}`);
    if (existsSync(binary)) return binary;
    mkdirSync(dir, { recursive: true });
    // Compile to a private name and rename: test files start in parallel and may race here.
    const scratch = `${binary}.${process.pid}`;
    try {
      await promisify(execFile)('gcc', ['-O2', '-rdynamic', '-o', scratch, launcherSource, '-lrdkafka', '-ldl']);
    } catch (error) {
      throw new Error(`could not compile the mock Kafka launcher (needs gcc and librdkafka-dev): ${(error as Error).message}`);
    }
    renameSync(scratch, binary);
    return binary;
  })();
  return compiled;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { logFiles, renderConfigXml, renderUsersXml, type ClickHouseUser } from './clickhouse/config-xml.js';
import { startWatchdog, type Watchdog } from './clickhouse/watchdog.js';
import { freePort } from './free-port.js';
import { manageServer } from './server-lifecycle.js';
import { stopChild } from './stop-child.js';

export type { ClickHouseUser } from './clickhouse/config-xml.js';

export interface ClickHouseServerOptions {
  /** Extra users besides `default` (empty password, localhost only). */
  users?: ClickHouseUser[];
  /** Raw XML placed inside `<users>` as is, for what `users` cannot express. */
  usersXmlFragment?: string;
  /** How long to wait for `/ping` to answer, per start. Default 30 s. */
  readyTimeoutMs?: number;
  /** Default `/usr/sbin/clickhouse-server` (Debian's 18.16). */
  binary?: string;
  /** Level of log/clickhouse-server.log; errors always go to log/clickhouse-server.err.log. Default `information`. */
  logLevel?: 'error' | 'warning' | 'information' | 'debug' | 'trace';
  /** Server time zone. Default `UTC`. */
  timezone?: string;
}

export interface ClickHouseServer {
  /** http://127.0.0.1:<httpPort>, the HTTP interface. */
  readonly url: string;
  readonly httpPort: number;
  /** Native protocol port. */
  readonly tcpPort: number;
  /** ClickHouse's `path`; also holds config.xml, users.xml and log/. */
  readonly dataDir: string;
  /** SIGTERM and wait for the exit (SIGKILL if it hangs, see stopChild). Data stays. */
  stop(): Promise<void>;
  /** Start again after stop(): same ports, same data. */
  start(): Promise<void>;
  /** stop() and remove dataDir. Safe to call more than once. */
  close(): Promise<void>;
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

interface Running {
  child: ChildProcess;
  watchdog: Watchdog;
}

/** A ClickHouse server of its own, as a child process, on free 127.0.0.1 ports and a fresh temp dir. */
export async function startClickHouse(options: ClickHouseServerOptions = {}): Promise<ClickHouseServer> {
  const binary = options.binary ?? '/usr/sbin/clickhouse-server';
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const [httpPort, tcpPort, interserverHttpPort] = (await distinctFreePorts(3)) as [number, number, number];
  const dataDir = await mkdtemp(join(tmpdir(), 'sophon-clickhouse-'));
  const configFile = join(dataDir, 'config.xml');
  try {
    await mkdir(join(dataDir, 'log'));
    await writeFile(
      configFile,
      renderConfigXml({
        dataDir,
        httpPort,
        tcpPort,
        interserverHttpPort,
        logLevel: options.logLevel ?? 'information',
        timezone: options.timezone ?? 'UTC',
      }),
    );
    await writeFile(
      join(dataDir, 'users.xml'),
      renderUsersXml({ users: options.users ?? [], usersXmlFragment: options.usersXmlFragment ?? '' }),
    );
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${httpPort}`;

  let running: Running | undefined;
  const startNow = async () => {
    if (running && isAlive(running.child)) return;
    // It died on its own (crash, OOM...): start a fresh process on the same ports and data.
    if (running) await terminate(running);
    running = undefined;
    running = await launch({ binary, configFile, dataDir, url, readyTimeoutMs });
  };
  const stopNow = async () => {
    const current = running;
    running = undefined;
    if (current) await terminate(current);
  };
  const controls = await manageServer({
    name: `ClickHouse at ${url}`,
    directory: dataDir,
    start: startNow,
    stop: stopNow,
    // Covers a test that never calls close(): no server outlives the process.
    onProcessExit: () => {
      const pid = running?.child.pid;
      if (pid === undefined) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  });
  return { url, httpPort, tcpPort, dataDir, ...controls };
}

interface LaunchParams {
  binary: string;
  configFile: string;
  dataDir: string;
  url: string;
  readyTimeoutMs: number;
}

async function launch(params: LaunchParams): Promise<Running> {
  const logs = logFiles(params.dataDir);
  // stdout/stderr to a file rather than pipes: nothing to drain, nothing holding the event loop.
  const consoleFd = openSync(logs.console, 'a');
  let child: ChildProcess;
  try {
    child = spawn(params.binary, [`--config-file=${params.configFile}`], {
      cwd: params.dataDir,
      stdio: ['ignore', consoleFd, consoleFd],
    });
  } finally {
    closeSync(consoleFd);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  // The exit hook and the watchdog kill it; a forgotten server must not keep the tests alive.
  child.unref();
  const watchdog = child.pid === undefined ? { disarm() {} } : startWatchdog(child.pid, params.dataDir);
  const current: Running = { child, watchdog };

  let exitedEarly: ExitInfo | undefined;
  void exited.then((info) => (exitedEarly = info));
  const deadline = Date.now() + params.readyTimeoutMs;
  for (;;) {
    if (exitedEarly) {
      watchdog.disarm();
      throw new Error(
        `clickhouse-server ${describeExit(exitedEarly)} before answering ${params.url}/ping.\n${await logTails(logs)}`,
      );
    }
    if (await answersPing(params.url)) return current;
    if (Date.now() > deadline) {
      await terminate(current);
      throw new Error(
        `clickhouse-server did not answer ${params.url}/ping within ${params.readyTimeoutMs} ms.\n${await logTails(logs)}`,
      );
    }
    await delay(50);
  }
}

async function terminate({ child, watchdog }: Running): Promise<void> {
  watchdog.disarm();
  await stopChild(child);
}

function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
    return response.ok && (await response.text()) === 'Ok.\n';
  } catch {
    return false;
  }
}

function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be started (${info.error.message})`;
  if (info.signal) return `was killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

async function logTails(logs: ReturnType<typeof logFiles>): Promise<string> {
  const parts: string[] = [];
  for (const file of [logs.errorLog, logs.console]) {
    const tail = await readTail(file, 20);
    if (tail) parts.push(`--- ${basename(file)} ---\n${tail}`);
  }
  return parts.length > 0 ? parts.join('\n') : '(no log output)';
}

async function readTail(file: string, lines: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16_384);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

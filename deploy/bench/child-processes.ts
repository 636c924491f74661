/**
 * Processes the benchmarks start besides the local stack: a service from its real entry point, the
 * bare Node baseline server, and s3rver. Each in a process of its own, so that its CPU and memory
 * are its own and it never shares an event loop with the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchProcess {
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 15 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * `node --import tsx <entry>` with the workspace's development condition, as the stack runs services.
 * With BENCH_CPU_PROF_DIR set, services write a V8 CPU profile there when they stop.
 */
function spawnTs(entry: string, env: Record<string, string>, stdout: 'pipe' | 'ignore'): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF_DIR && entry.startsWith('services/') ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  return spawn(process.execPath, [...profile, '--conditions=development', '--import', 'tsx', `${REPO_ROOT}${entry}`], {
    env: { ...process.env, ...env },
    stdio: ['pipe', stdout, 'ignore'],
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
}

/** A service (services/<name>/src/main.ts) with `env`; resolves once its /healthz answers. */
export async function startService(name: string, env: Record<string, string>, opsUrl: string): Promise<BenchProcess> {
  const child = spawnTs(`services/${name}/src/main.ts`, env, 'ignore');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    try {
      if ((await fetch(`${opsUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer /healthz within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, stop: stopper(child) };
}

/** A script of ours that prints `<TAG> <value>` once it serves; resolves with the value. */
export async function startScript(entry: string, tag: string, env: Record<string, string> = {}): Promise<BenchProcess & { value: string }> {
  const child = spawnTs(entry, env, 'pipe');
  const lines = createInterface({ input: child.stdout! });
  try {
    const value = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} did not start within 30 s`)), 30_000);
      lines.on('line', (line) => {
        if (!line.startsWith(`${tag} `)) return;
        clearTimeout(timer);
        resolve(line.slice(tag.length + 1).trim());
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited with code ${code} while starting`));
      });
    });
    return { pid: child.pid!, value, stop: stopper(child) };
  } finally {
    lines.close();
  }
}

/** One metric from a service's /metrics, summed over its label sets (0 when absent). */
export async function metricValue(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Processes the benchmarks start besides the local stack: a service from its real entry point, the
 * bare Node baseline server, and s3rver. Each in a process of its own, so that its CPU and memory
 * are its own and it never shares an event loop with the load generator.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopChild } from '@sophon/test-kit';
import { spawnEntry, startServiceProcess } from '../local/service-process.js';

export interface BenchProcess {
  readonly pid: number;
  /** SIGTERM (SIGKILL if it hangs, see stopChild); resolves when it has exited. */
  stop(): Promise<void>;
}

/** With BENCH_CPU_PROF_DIR set, services write a V8 CPU profile there when they stop. */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

const benchProcess = (child: ChildProcess): BenchProcess => ({ pid: child.pid!, stop: async () => void (await stopChild(child)) });

/**
 * Service `name` with `env`, from its build as the images run it (`pnpm bench` builds first), so
 * that CPU and memory are the product's, not also tsx's; resolves once its /healthz answers.
 */
export async function startService(name: string, env: Record<string, string>, opsUrl: string): Promise<BenchProcess> {
  const child = await startServiceProcess(name, `services/${name}/src/main.ts`, opsUrl, { env, stdio: ['pipe', 'ignore', 'ignore'], nodeArgs: profileArgs(), built: true });
  return benchProcess(child);
}

/** A script of ours that prints `<TAG> <value>` once it serves (or has its result); resolves with the value. */
export async function startScript(entry: string, tag: string, env: Record<string, string> = {}, options: { timeoutMs?: number } = {}): Promise<BenchProcess & { value: string }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawnEntry(entry, { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  try {
    const value = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} did not print "${tag}" within ${timeoutMs / 1000} s`)), timeoutMs);
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
    return { ...benchProcess(child), value };
  } finally {
    lines.close();
  }
}

/** After `afterMs`, SIGSTOPs process `pid` for `forMs`, then SIGCONT: its connections stay open and nothing is answered. */
export async function freezeProcess(pid: number, afterMs: number, forMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((resolve) => setTimeout(resolve, forMs));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

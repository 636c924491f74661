/**
 * Runs a workspace entry point as a process of its own, from its sources, as `pnpm dev`, the
 * end-to-end tests and the benchmarks run the services.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '@sophon/test-kit';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnOptions {
  env: Record<string, string>;
  stdio: StdioOptions;
  /** Node's own flags before the entry, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Run the entry's build (dist/, `pnpm build`), as the images run it, instead of its sources through tsx. */
  built?: boolean;
}

/** The file that runs for `entry` (a src/ .ts path of the workspace): itself, or its build. */
export function entryFile(entry: string, built = false): string {
  return built ? entry.replace('/src/', '/dist/').replace(/\.ts$/, '.js') : entry;
}

/**
 * `node --conditions=development --import tsx <REPO_ROOT/entry>`, or `node <its build>` (packages
 * then resolve to their builds too), with process.env plus `env`.
 */
export function spawnEntry(entry: string, options: SpawnOptions): ChildProcess {
  const run = options.built ? [`${REPO_ROOT}${entryFile(entry, true)}`] : ['--conditions=development', '--import', 'tsx', `${REPO_ROOT}${entry}`];
  return spawn(process.execPath, [...(options.nodeArgs ?? []), ...run], {
    env: { ...process.env, ...options.env },
    stdio: options.stdio,
  });
}

const HEALTHY_WITHIN_MS = 60_000;

/**
 * A service from `entry`, resolved once its `${opsUrl}/healthz` answers (alive; consumers become
 * ready, group joined, a few seconds later). One that exits first, or is not alive in time, is
 * killed and reported.
 */
export async function startServiceProcess(name: string, entry: string, opsUrl: string, options: SpawnOptions): Promise<ChildProcess> {
  const child = spawnEntry(entry, options);
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    try {
      if ((await fetch(`${opsUrl}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`${name} did not answer /healthz within ${HEALTHY_WITHIN_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

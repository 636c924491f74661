import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * How long a child has after SIGTERM before SIGKILL. Longer than the services' own shutdown
 * deadline (SHUTDOWN_TIMEOUT_MS, 30 s by default), so only a hung process is killed, never one
 * still draining.
 */
export const KILL_AFTER_MS = 35_000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Sends `signal` (SIGTERM by default) and resolves once the child has exited, sending SIGKILL
 * if it is still there KILL_AFTER_MS later. A child that has exited, or never started, resolves at once.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<ChildExit> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  try {
    const [code, exitSignal] = await exited;
    return { code, signal: exitSignal };
  } finally {
    clearTimeout(killer);
  }
}

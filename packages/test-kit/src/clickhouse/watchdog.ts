import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Disarm once the server was stopped on purpose. */
export interface Watchdog {
  disarm(): void;
}

/**
 * Kills a server child and removes its directory when the test process dies in a way that
 * skips `process.on('exit')`: the test runner's SIGTERM on timeout, a crash, SIGKILL.
 * A shell blocks reading a pipe from us, which the kernel closes whenever we die.
 * Unref'd, so it never keeps the test process alive.
 */
export function startWatchdog(pid: number, directory: string): Watchdog {
  // Arguments are positional ($1, $2), never spliced into the script.
  const script = 'read _; kill -KILL "$1" 2>/dev/null; sleep 1; rm -rf "$2"';
  const shell = spawn('sh', ['-c', script, 'clickhouse-watchdog', String(pid), directory], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  shell.on('error', () => {
    // Without sh, the exit hook in startClickHouse still covers normal exits.
  });
  shell.unref();
  (shell.stdin as Socket | null)?.unref();
  return {
    disarm() {
      // SIGKILL, so its kill/rm can never run against a server we stopped on purpose.
      shell.kill('SIGKILL');
      shell.stdin?.destroy();
    },
  };
}

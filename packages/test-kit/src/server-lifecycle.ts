import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

export interface ServerControls {
  /** Start again after stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop() and remove the directory. Safe to call more than once; start() fails after it. */
  close(): Promise<void>;
}

export interface ServerLifecycleOptions {
  /** Named in the error of a start() after close(), e.g. `ClickHouse at http://…`. */
  name: string;
  /** The server's temp directory: removed by close(), and at process exit by a test that never closed. */
  directory: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Also run at process exit (synchronously), before the directory goes: e.g. kill a child. */
  onProcessExit?(): void;
}

/**
 * Starts a test server and gives its start/stop/close, which run one at a time: close() during
 * start() cannot leave a server behind, nor overlapping starts two listeners. When the first
 * start fails, the directory is removed and the error thrown.
 */
export async function manageServer(options: ServerLifecycleOptions): Promise<ServerControls> {
  const onProcessExit = () => {
    options.onProcessExit?.();
    rmSync(options.directory, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', onProcessExit);
  const remove = async () => {
    process.removeListener('exit', onProcessExit);
    await rm(options.directory, { recursive: true, force: true, maxRetries: 3 });
  };

  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task, task);
    queue = result.catch(() => undefined);
    return result;
  };
  let closing: Promise<void> | undefined;
  const start = async () => {
    if (closing) throw new Error(`${options.name} was closed; start a new one`);
    await options.start();
  };

  try {
    await start();
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    start: () => serially(start),
    stop: () => serially(options.stop),
    close: () =>
      (closing ??= serially(async () => {
        await options.stop();
        await remove();
      })),
  };
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/** Full-jitter exponential backoff: attempt 0 waits between initialMs/2 and initialMs, doubling up to maxMs. */
export function backoffDelay(attempt: number, { initialMs, maxMs }: BackoffSettings, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or at once when the signal aborts (shutdown must not wait out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryOptions extends BackoffSettings {
  /** Give up (rethrow the last error) when the next wait would end after this many ms from the start. */
  timeoutMs?: number;
  /** Stop retrying when it aborts: the last error is rethrown. */
  signal?: AbortSignal;
  /** Errors for which another attempt makes no sense are rethrown at once. */
  isRetriable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The one retry loop: runs `operation` until it resolves, waiting a jittered, growing delay
 * after each failure; gives up on a non-retriable error, the timeout or the signal.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.isRetriable && !options.isRetriable(error)) throw error;
      if (options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options);
      if (options.timeoutMs !== undefined && Date.now() + delay - started > options.timeoutMs) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

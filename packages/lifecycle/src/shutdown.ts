import type { Logger } from '@sophon/logger';

export interface Shutdown {
  /** Adds a stop step. Steps run one after another, in the order they were added. */
  onStop(name: string, step: () => Promise<void> | void): void;
  /** True until shutdown begins; services stop taking new work when it turns false. */
  readonly accepting: boolean;
  /** Aborts when shutdown begins: ends waits (a retry's backoff) that must not hold the stop up. */
  readonly signal: AbortSignal;
  /** Runs every step once (later calls get the same promise). Resolves true when all steps succeeded in time. */
  stop(reason: string): Promise<boolean>;
  /** Runs stop() on SIGTERM and SIGINT, then exits: 0 when clean, 1 otherwise. */
  exitOnSignals(): void;
}

/**
 * Orderly stop: e.g. the gateway first stops accepting requests, then waits for those
 * in flight, then flushes and disconnects the Kafka producer. A step that throws is
 * logged and the next still runs; the whole stop is bounded by `timeoutMs`.
 */
export function createShutdown({ logger, timeoutMs = 30_000 }: { logger: Logger; timeoutMs?: number }): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  let accepting = true;
  const began = new AbortController();
  let stopping: Promise<boolean> | undefined;

  const runSteps = async () => {
    let clean = true;
    for (const { name, step } of steps) {
      const started = Date.now();
      try {
        await step();
        logger.info({ step: name, ms: Date.now() - started }, 'shutdown step done');
      } catch (error) {
        clean = false;
        logger.error({ step: name, err: error }, 'shutdown step failed');
      }
    }
    return clean;
  };

  const stop = (reason: string) => {
    stopping ??= (async () => {
      accepting = false;
      began.abort();
      logger.info({ reason }, 'shutting down');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          logger.error({ timeoutMs }, 'shutdown did not finish in time');
          resolve(false);
        }, timeoutMs);
      });
      const clean = await Promise.race([runSteps(), deadline]);
      clearTimeout(timer);
      return clean;
    })();
    return stopping;
  };

  return {
    onStop: (name, step) => void steps.push({ name, step }),
    get accepting() {
      return accepting;
    },
    signal: began.signal,
    stop,
    exitOnSignals() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          void stop(signal).then((clean) => {
            logger.flush();
            process.exit(clean ? 0 : 1);
          });
        });
      }
    },
  };
}

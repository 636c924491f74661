import { createLogger, type Logger } from '@sophon/logger';
import type { Shutdown } from './shutdown.js';

/**
 * A service's main: load its configuration, make its logger, start it, and stop it cleanly on
 * SIGTERM/SIGINT. A start-up failure (a bad variable above all) is logged as one fatal line
 * and the process exits 1.
 */
export async function bootService<Config extends { LOG_LEVEL: string }>(
  service: string,
  loadConfig: () => Config,
  start: (config: Config, logger: Logger) => Promise<{ shutdown: Shutdown }>,
): Promise<void> {
  try {
    const config = loadConfig();
    const running = await start(config, createLogger({ service, level: config.LOG_LEVEL }));
    running.shutdown.exitOnSignals();
  } catch (error) {
    failedToStart(service, error);
  }
}

/**
 * A one-shot command's main (topic set-up, migrations, retention, dead-letter tools): load its
 * configuration, run it, exit with its code. It exits explicitly, so a client handle left open
 * can never keep a finished job running.
 */
export async function runJob<Config extends { LOG_LEVEL: string }>(
  job: string,
  loadConfig: () => Config,
  run: (config: Config, logger: Logger) => Promise<number>,
): Promise<never> {
  try {
    const config = loadConfig();
    process.exit(await run(config, createLogger({ service: job, level: config.LOG_LEVEL })));
  } catch (error) {
    failedToStart(job, error);
  }
}

/** One fatal line and exit 1; a ConfigError's message already names every bad variable, and a stack would only hide it. */
function failedToStart(name: string, error: unknown): never {
  const isConfigError = error instanceof Error && error.name === 'ConfigError';
  createLogger({ service: name }).fatal({ err: isConfigError ? undefined : error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}

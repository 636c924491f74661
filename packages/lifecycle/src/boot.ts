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
    // A ConfigError's message already names every bad variable; a stack would only hide it.
    const isConfigError = error instanceof Error && error.name === 'ConfigError';
    createLogger({ service }).fatal({ err: isConfigError ? undefined : error }, error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

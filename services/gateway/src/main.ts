import { ConfigError } from '@sophon/config';
import { createLogger } from '@sophon/logger';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

const bootLogger = createLogger({ service: 'gateway' });
try {
  const config = loadGatewayConfig();
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const gateway = await startGateway(config, logger);
  gateway.shutdown.exitOnSignals();
} catch (error) {
  bootLogger.fatal({ err: error instanceof ConfigError ? undefined : error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}

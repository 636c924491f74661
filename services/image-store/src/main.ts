import { ConfigError } from '@sophon/config';
import { createLogger } from '@sophon/logger';
import { loadImageStoreConfig } from './config.js';
import { startImageStore } from './image-store.js';

const bootLogger = createLogger({ service: 'image-store' });
try {
  const config = loadImageStoreConfig();
  const logger = createLogger({ service: 'image-store', level: config.LOG_LEVEL });
  const imageStore = await startImageStore(config, logger);
  imageStore.shutdown.exitOnSignals();
} catch (error) {
  bootLogger.fatal({ err: error instanceof ConfigError ? undefined : error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}

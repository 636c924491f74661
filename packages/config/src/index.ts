export { ConfigError, loadConfig } from './load-config.js';
export { env } from './env-types.js';
export { consumerEnv, kafkaEnv, loggingEnv, opsEnv } from './common.js';
export { z } from 'zod';

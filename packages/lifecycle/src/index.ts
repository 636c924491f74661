export { createShutdown, type Shutdown } from './shutdown.js';
export { bootService, runJob } from './boot.js';
export { backoffDelay, retry, sleep, type BackoffSettings, type RetryOptions } from './retry.js';

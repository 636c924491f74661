export { createShutdown, type Shutdown } from './shutdown.js';
export { bootService } from './boot.js';

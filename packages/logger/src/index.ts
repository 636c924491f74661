export { createLogger, type Logger, type LoggerSettings } from './create-logger.js';

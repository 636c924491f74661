import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; stdout by default (tests pass a stream to read them). */
  destination?: DestinationStream;
}

const MAX_STRING = 1024;

/**
 * The one logger factory: pino, JSON, one line per entry, `service` on every line.
 * Logs never carry picture bytes or secrets: buffers become their size, long strings
 * (base64 pictures) are cut, and credentials are redacted wherever a caller puts them.
 */
export function createLogger({ service, level = 'info', destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: (entry) => scrub(entry, 3) as Record<string, unknown> },
    redact: {
      paths: [
        'token',
        '*.token',
        'password',
        '*.password',
        'secretKey',
        '*.secretKey',
        'req.headers.authorization',
        'req.headers["x-device-token"]',
        'req.query.token',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

function scrub(value: unknown, depth: number): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, 64)}…[${value.length} chars]` : value;
  if (value === null || typeof value !== 'object' || depth === 0 || value instanceof Error) return value;
  if (Array.isArray(value)) return value.length > 64 ? `[array of ${value.length}]` : value.map((item) => scrub(item, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth - 1);
  return out;
}

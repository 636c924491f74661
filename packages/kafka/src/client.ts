import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { Kafka, logLevel, type ISocketFactory, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '@sophon/logger';

/** kafkajs's own socket factory (TCP or TLS, keep-alive), which it does not export. */
const defaultSocketFactory = createRequire(import.meta.url)('kafkajs/src/network/socketFactory') as () => ISocketFactory;

/**
 * kafkajs's sockets with Nagle's algorithm off. kafkajs leaves it on: the last segment of a large
 * produce request then waits for the broker's (delayed) acknowledgement of the previous ones, and
 * one request in flight (the idempotent producer) makes every send pay that wait.
 */
function noDelaySocketFactory(): ISocketFactory {
  const connect = defaultSocketFactory();
  return (options) => {
    const socket = connect(options);
    (socket as Socket).setNoDelay(true);
    return socket;
  };
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: SASLOptions;
  /** Per-request timeout towards the broker. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /**
   * kafkajs' own retries of connections and requests. Its default waits up to ~30 s, which is
   * fine for consumers; a producer answering devices wants to fail within seconds.
   */
  retry?: { retries: number; initialRetryTime: number; maxRetryTime: number };
}

/** How long kafkajs waits for any answer from a broker (producers ask the broker to answer well before). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The one place a kafkajs client is made: its logs go through our pino logger. */
export function createKafkaClient(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    sasl: settings.sasl,
    requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeout: settings.connectionTimeoutMs ?? 3_000,
    ...(settings.retry ? { retry: settings.retry } : {}),
    socketFactory: noDelaySocketFactory(),
    logLevel: logLevel.INFO,
    logCreator: () => pinoLogEntry(logger.child({ component: 'kafkajs' })),
  });
}

/** Bounded producer retries are our choice (see producer.ts); kafkajs' warning about it is noise. */
const EXPECTED_WARNINGS = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

function pinoLogEntry(logger: Logger) {
  return ({ level, log }: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _name, ...rest } = log;
    if (EXPECTED_WARNINGS.has(message)) logger.debug(rest, message);
    else if (level <= logLevel.ERROR) logger.error(rest, message);
    else if (level === logLevel.WARN) logger.warn(rest, message);
    else if (level === logLevel.INFO) logger.info(rest, message);
    else logger.debug(rest, message);
  };
}

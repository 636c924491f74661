import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { ConfigError } from '@sophon/config';
import { createShutdown, type Shutdown } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { createMetricsRegistry } from '@sophon/ops-http';
import { createGatewayApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { openAuthenticator, parseDeviceTokens, tokenAuthenticator } from './http/device-auth.js';
import { exposureProblem } from './http/exposure.js';
import { deviceRateLimiter } from './ingest/device-rate-limit.js';
import { createGatewayMetrics } from './metrics.js';
import { createGatewayProducer } from './producer.js';
import { createUploadRoutes } from './upload-routes.js';

export interface RunningGateway {
  url: string;
  server: Server;
  shutdown: Shutdown;
}

/** Composes the gateway from its parts and starts listening; `shutdown.stop()` drains it. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const authenticate = createAuthenticator(config, logger);
  const host = config.GATEWAY_HOST ?? config.OPS_HOST;
  const registry = createMetricsRegistry('gateway');
  const metrics = createGatewayMetrics(registry);
  const shutdown = createShutdown({ logger, timeoutMs: config.GATEWAY_SHUTDOWN_TIMEOUT_MS });

  const producer = createGatewayProducer(config, logger, registry);
  // Kafka may come up after us (compose, restarts): serve anyway, /readyz tells, publishes reconnect.
  await producer.connect().catch((error: Error) => logger.warn({ err: error }, 'Kafka not reachable at start-up; will retry on first publish'));

  const routes = createUploadRoutes(config, {
    producer,
    maxQuarantineTextChars: Math.floor(config.KAFKA_MAX_MESSAGE_BYTES / 2),
    maxEventsPerRequest: config.GATEWAY_MAX_EVENTS_PER_REQUEST,
    retryAfterSeconds: config.GATEWAY_RETRY_AFTER_SECONDS,
    consumeRateLimit: deviceRateLimiter({ events: config.GATEWAY_RATE_LIMIT_EVENTS, windowSeconds: config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS }),
    metrics,
    logger,
  });

  const app = createGatewayApp({
    routes,
    limits: {
      maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
      maxPictureBytes: config.GATEWAY_MAX_PICTURE_BYTES,
      maxJsonDepth: config.GATEWAY_MAX_JSON_DEPTH,
      maxInflightBytes: config.GATEWAY_MAX_INFLIGHT_BYTES,
      maxInflightBytesPerClient: config.GATEWAY_MAX_INFLIGHT_BYTES_PER_CLIENT ?? Math.max(config.GATEWAY_MAX_BODY_BYTES, Math.floor(config.GATEWAY_MAX_INFLIGHT_BYTES / 4)),
      retryAfterSeconds: config.GATEWAY_RETRY_AFTER_SECONDS,
      requestsPerWindow: config.GATEWAY_RATE_LIMIT_REQUESTS,
      windowSeconds: config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
    },
    authenticate,
    readiness: [{ name: 'kafka', check: () => producer.checkConnection() }],
    isAccepting: () => shutdown.accepting,
    registry,
    metrics,
    logger,
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.GATEWAY_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, a server error (e.g. accept() out of file descriptors) is logged, not fatal.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 65_000;

  shutdown.onStop('stop accepting and finish in-flight requests', () => closeServer(server));
  shutdown.onStop('flush and disconnect the Kafka producer', () => producer.disconnect());

  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;
  logger.info({ url, routes: routes.flatMap((route) => route.paths), auth: config.GATEWAY_AUTH }, 'gateway listening');
  return { url, server, shutdown };
}

/** Refuses (before anything starts) a wildcard token or open auth offered beyond this machine. */
function createAuthenticator(config: GatewayConfig, logger: Logger) {
  const fileText = config.GATEWAY_DEVICE_TOKENS_FILE ? readFileSync(config.GATEWAY_DEVICE_TOKENS_FILE, 'utf8') : undefined;
  const tokens = config.GATEWAY_AUTH === 'tokens' ? parseDeviceTokens(config.GATEWAY_DEVICE_TOKENS, fileText) : new Map<string, string | undefined>();
  const problem = exposureProblem({
    auth: config.GATEWAY_AUTH,
    wildcardToken: [...tokens.values()].includes(undefined),
    bind: config.GATEWAY_HOST !== undefined ? { address: config.GATEWAY_HOST, variable: 'GATEWAY_HOST' } : { address: config.OPS_HOST, variable: 'OPS_HOST' },
    publishAddress: config.GATEWAY_PUBLISH_ADDRESS,
  });
  if (problem && !config.GATEWAY_ALLOW_WILDCARD_ON_LAN) throw new ConfigError([problem]);
  if (problem) logger.warn({ problem }, 'GATEWAY_ALLOW_WILDCARD_ON_LAN=true: starting anyway');
  if (config.GATEWAY_AUTH === 'open') {
    logger.warn('GATEWAY_AUTH=open: any client can post events for any device. Use only on a closed network.');
    return openAuthenticator;
  }
  if (tokens.size === 0) {
    throw new Error('GATEWAY_AUTH=tokens but no device tokens are configured: set GATEWAY_DEVICE_TOKENS or GATEWAY_DEVICE_TOKENS_FILE (or GATEWAY_AUTH=open)');
  }
  logger.info({ tokens: tokens.size }, 'device tokens loaded');
  return tokenAuthenticator(tokens);
}

/** A URL host for what the listener binds: the loopback address for "every interface". */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Stops listening, lets requests in flight finish, and closes keep-alive connections as they go idle. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close((error) => {
      clearInterval(sweep);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

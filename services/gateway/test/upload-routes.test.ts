import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { UploadAdapter } from '@sophon/event-contract';
import { createDurableProducer, createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { createMetricsRegistry } from '@sophon/ops-http';
import { createGatewayApp } from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import { openAuthenticator } from '../src/http/device-auth.js';
import { deviceRateLimiter } from '../src/ingest/device-rate-limit.js';
import { createGatewayMetrics } from '../src/metrics.js';
import { createUploadRoutes, UPLOAD_KINDS, type SharedIngestDeps, type UploadKind } from '../src/upload-routes.js';

/** The registry of upload kinds: routes come from the list, each kind with its own adapter, paths and topics. */
const logger = createLogger({ service: 'upload-routes-test', level: 'silent' });
const config = loadGatewayConfig({ KAFKA_TOPIC_HISTORY_EVENTS: 'he', KAFKA_TOPIC_EVENT_IMAGES: 'ei', KAFKA_TOPIC_QUARANTINE: 'hq' });
const registry = createMetricsRegistry('gateway');
const metrics = createGatewayMetrics(registry);
// Built, never connected: these tests only assemble routes, nothing is published.
const shared: SharedIngestDeps = {
  producer: createDurableProducer(createKafkaClient({ brokers: ['127.0.0.1:9'], clientId: 'upload-routes-test' }, logger), logger, { publishTimeoutMs: 1000 }),
  maxQuarantineTextChars: 1024,
  maxEventsPerRequest: 10,
  retryAfterSeconds: 1,
  consumeRateLimit: deviceRateLimiter({ events: 10, windowSeconds: 1 }),
  metrics,
  logger,
};

/** One more kind, as the next upload formats will be: its own paths, topics and adapter. */
function statusKind(built: unknown[]): UploadKind<{ status: string; quarantine: string }> {
  return {
    paths: ['/OtherUpload'],
    topics: (settings) => ({ status: `${settings.KAFKA_TOPIC_QUARANTINE}-status`, quarantine: 'status-quarantine' }),
    createAdapter: (topics): UploadAdapter => {
      built.push(topics);
      return { name: 'device-status', claimedDevSno: () => undefined, parse: () => ({ ok: false, errors: [{ pointer: '', message: 'not read in this test' }] }) };
    },
  };
}

function appWith(routes: ReturnType<typeof createUploadRoutes>, options: { accepting?: boolean; retryAfterSeconds?: number } = {}) {
  return createGatewayApp({
    routes,
    limits: { maxBodyBytes: 1024, maxPictureBytes: 1024, maxJsonDepth: 8, maxInflightBytes: 4096, maxInflightBytesPerClient: 4096, retryAfterSeconds: options.retryAfterSeconds ?? 1, requestsPerWindow: 10, windowSeconds: 1 },
    authenticate: openAuthenticator,
    readiness: [],
    isAccepting: () => options.accepting ?? true,
    registry,
    metrics,
    logger,
  });
}

describe('upload kinds', () => {
  test('the HistoryEvent kind publishes to the configured topics, at the paths a box may be configured with', () => {
    const [historyEvent] = UPLOAD_KINDS;
    assert.deepEqual(historyEvent!.topics(config), { historyEvents: 'he', eventImages: 'ei', quarantine: 'hq' });
    assert.deepEqual(historyEvent!.paths, ['/EventServer/api/HistoryEvent', '/HistoryEvent']);
    assert.equal(historyEvent!.createAdapter(historyEvent!.topics(config), config).name, 'history-event');
  });

  test('a new kind is one entry: it gets a route of its own, with the adapter built on its own topics', () => {
    const built: unknown[] = [];
    const routes = createUploadRoutes(config, shared, [...UPLOAD_KINDS, statusKind(built)]);
    assert.deepEqual(
      routes.map((route) => route.paths),
      [['/EventServer/api/HistoryEvent', '/HistoryEvent'], ['/DeviceStatus', '/EventServer/api/DeviceStatus'], ['/OtherUpload']],
    );
    assert.deepEqual(built, [{ status: 'hq-status', quarantine: 'status-quarantine' }]);
    assert.notEqual(routes[0]!.handle, routes[2]!.handle);
    appWith(routes);
  });

  test('a path claimed by two kinds is refused at start-up, naming the path', () => {
    const routes = createUploadRoutes(config, shared, [...UPLOAD_KINDS, { ...statusKind([]), paths: ['/OtherUpload', '/HistoryEvent'] }]);
    assert.throws(() => appWith(routes), /upload path \/HistoryEvent is claimed by two upload routes/);
  });
});

test('while shutting down, an upload is answered 503 with GATEWAY_RETRY_AFTER_SECONDS as its Retry-After', async () => {
  const server = createServer(appWith(createUploadRoutes(config, shared), { accepting: false, retryAfterSeconds: 7 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/HistoryEvent`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get('retry-after'), '7');
    assert.match(((await answer.json()) as { error: { message: string } }).error.message, /shutting down/);
  } finally {
    server.close();
  }
});

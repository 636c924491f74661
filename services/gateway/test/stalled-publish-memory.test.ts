import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHistoryEventAdapter, DEFAULT_TOPICS } from '@sophon/event-contract';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { createDurableProducer, createKafkaClient, type DurableProducer } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { createMetricsRegistry } from '@sophon/ops-http';
import type { KafkaServer } from '@sophon/test-kit';
import { deviceRateLimiter } from '../src/ingest/device-rate-limit.js';
import { createUploadHandler } from '../src/ingest/handle-upload.js';
import { createGatewayMetrics } from '../src/metrics.js';
import { startTestKafka } from './harness.js';

/**
 * The in-flight gate counts a request's body once; while its publish waits for a stalled Kafka the
 * request must hold its records only, not also the parsed body (base64 text, 4/3 of its pictures).
 */
const logger = createLogger({ service: 'stalled-publish-memory-test', level: 'silent' });
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
let kafka: KafkaServer;
let producer: DurableProducer;
before(async () => {
  kafka = await startTestKafka();
  producer = createDurableProducer(createKafkaClient({ brokers: kafka.brokers, clientId: 'stalled-publish-memory-test' }, logger), logger, { publishTimeoutMs: 60_000 });
  await producer.connect();
});
after(async () => {
  await kafka?.faults.roundTripTime(1, 0);
  await producer?.disconnect();
  await kafka?.close();
});

test('a request waiting for Kafka no longer holds its parsed body, only its records', async () => {
  let publishing!: () => void;
  const publishStarted = new Promise<void>((resolve) => (publishing = resolve));
  const limit = deviceRateLimiter({ events: 1000, windowSeconds: 10 });
  const handler = createUploadHandler({
    adapter: createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * 1024 * 1024 }),
    // The real producer; only told apart so the test knows the publish is under way.
    producer: { ...producer, publish: (records) => (publishing(), producer.publish(records)) },
    quarantineTopic: DEFAULT_TOPICS.quarantine,
    maxQuarantineTextChars: 1024 * 1024,
    maxEventsPerRequest: 100,
    retryAfterSeconds: 20,
    consumeRateLimit: (device, events) => limit(device, events),
    metrics: createGatewayMetrics(createMetricsRegistry('gateway')),
    logger,
  });
  const context = { principal: { devSno: 'BOX-A', label: 'BOX-A' }, receivedAt: Date.now(), path: '/HistoryEvent', remoteAddress: '127.0.0.1' };

  // Kafka answers late: the publish below waits for it.
  await kafka.faults.roundTripTime(1, 3000);
  const { answering, parsedBody } = (() => {
    const event = structuredClone(sampleHistoryEvent()) as any;
    event.ext_data.dev_sno = 'BOX-A';
    event.ext_data.spot_pic = tinyImage('jpeg', 1024 * 1024).toString('base64');
    const batch = [event];
    return { answering: handler.upload(batch, context), parsedBody: new WeakRef(batch) };
  })();
  let answered = false;
  void answering.finally(() => (answered = true)).catch(() => undefined);
  await publishStarted;
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  assert.equal(answered, false, 'the publish is still waiting for Kafka');
  assert.equal(parsedBody.deref(), undefined, 'the parsed body (its base64 pictures) was let go before the publish');

  await kafka.faults.roundTripTime(1, 0);
  const answer = await answering;
  assert.equal(answer.status, 200);
});

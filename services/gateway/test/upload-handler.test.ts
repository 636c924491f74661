import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHistoryEventAdapter, DEFAULT_TOPICS, type UploadAdapter } from '@sophon/event-contract';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { createDurableProducer, createKafkaClient, type DurableProducer } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { createMetricsRegistry } from '@sophon/ops-http';
import type { KafkaServer } from '@sophon/test-kit';
import { HttpError } from '../src/http/http-error.js';
import { deviceRateLimiter } from '../src/ingest/device-rate-limit.js';
import { createUploadHandler } from '../src/ingest/handle-upload.js';
import { createGatewayMetrics } from '../src/metrics.js';
import { startTestKafka } from './harness.js';

/** The upload handler at its seams: a real adapter (watched) and a real producer on the test broker. */
const logger = createLogger({ service: 'upload-handler-test', level: 'silent' });
let kafka: KafkaServer;
let producer: DurableProducer;
before(async () => {
  kafka = await startTestKafka();
  producer = createDurableProducer(createKafkaClient({ brokers: kafka.brokers, clientId: 'upload-handler-test' }, logger), logger, { publishTimeoutMs: 5000 });
  await producer.connect();
});
after(async () => {
  await producer?.disconnect();
  await kafka?.close();
});

function watchedHandler() {
  const real = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * 1024 * 1024 });
  const calls = { parse: 0, rateLimited: [] as [string, number][] };
  const adapter: UploadAdapter = {
    name: real.name,
    claimedDevSno: (raw) => real.claimedDevSno(raw),
    parse: (raw, ctx) => {
      calls.parse++;
      return real.parse(raw, ctx);
    },
  };
  const limit = deviceRateLimiter({ events: 1000, windowSeconds: 10 });
  const handler = createUploadHandler({
    adapter,
    producer,
    quarantineTopic: DEFAULT_TOPICS.quarantine,
    maxQuarantineTextChars: 8 * 1024 * 1024,
    maxEventsPerRequest: 100,
    retryAfterSeconds: 20,
    consumeRateLimit: async (device, events) => {
      calls.rateLimited.push([device, events]);
      await limit(device, events);
    },
    metrics: createGatewayMetrics(createMetricsRegistry('gateway')),
    logger,
  });
  return { handler, calls };
}

const context = { principal: { devSno: 'BOX-A', label: 'BOX-A' }, receivedAt: Date.now(), path: '/HistoryEvent', remoteAddress: '127.0.0.1' };
const picture = tinyImage('jpeg', 1024 * 1024).toString('base64');
function eventOf(devSno: string | undefined, epId: string): any {
  const event = structuredClone(sampleHistoryEvent()) as any;
  event.ext_data.dev_sno = devSno;
  event.ext_data.ep_id = epId;
  event.ext_data.spot_pic = picture;
  return event;
}

describe('a batch claiming another device', () => {
  for (const [name, claim] of [
    ['by dev_sno', () => eventOf('BOX-B', 'BOX-B__10.0.0.2')],
    ['by the ep_id prefix only', () => eventOf(undefined, 'BOX-B__10.0.0.2')],
  ] as const) {
    test(`is refused with 403 before any item is parsed (no picture decoded): ${name}`, async () => {
      const { handler, calls } = watchedHandler();
      // One honest item first: the refusal must not depend on where the foreign item sits.
      const batch = [eventOf('BOX-A', 'BOX-A__10.0.0.1'), ...Array.from({ length: 99 }, claim)];
      await assert.rejects(handler.upload(batch, context), (error: unknown) => {
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 403);
        assert.match(error.message, /bound to device BOX-A and cannot post for device BOX-B/);
        return true;
      });
      assert.equal(calls.parse, 0, 'the adapter never parsed an item');
      assert.deepEqual(calls.rateLimited, [], 'nor was the rate spent');
    });
  }

  test('its own device\'s batch is parsed once per item and rate-limited by what it claims', async () => {
    const { handler, calls } = watchedHandler();
    const answer = await handler.upload([eventOf('BOX-A', 'BOX-A__10.0.0.1'), eventOf(undefined, 'BOX-A__10.0.0.1')], context);
    assert.equal(answer.status, 200);
    assert.equal(calls.parse, 2);
    assert.deepEqual(calls.rateLimited, [['BOX-A', 2]]);
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeHistoryEventMessage, DEFAULT_TOPICS } from '@sophon/event-contract';
import { createKafkaClient, readTopicToEnd, type ConsumedMessage } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { KAFKA_API_KEYS, KAFKA_ERROR_CODES, metricValue, waitFor } from '@sophon/test-kit';
import { eventFrom, gatewayTestBed, post, TOKENS } from './harness.js';

/**
 * "A 2xx is never a lie", under the mock broker's own faults: each scenario posts events with
 * pictures around a fault and checks that every event answered 2xx is in Kafka with all of its
 * pictures, and that no record reuses another's producer id and sequence number (a real broker
 * would acknowledge such a record without writing it; the mock does not check sequences).
 */
const ROUTE = '/EventServer/api/HistoryEvent';
const REQUEST_TIMEOUT_MS = 2_000;
const bed = gatewayTestBed({ gatewayEnv: { KAFKA_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), GATEWAY_PUBLISH_TIMEOUT_MS: '8000' } });

/** Posts one event; returns its event id when the gateway acknowledged it. */
async function postEvent(identity: string): Promise<{ status: number; eventId?: string }> {
  const answer = await post(bed.gateway.url + ROUTE, eventFrom('BOX-A', identity), { token: TOKENS.boxA });
  return { status: answer.status, eventId: answer.status === 200 ? answer.json.data.event_id : undefined };
}

async function readAll(topic: string): Promise<ConsumedMessage[]> {
  const client = createKafkaClient({ brokers: bed.kafka.brokers, clientId: 'fault-reader' }, createLogger({ service: 'reader', level: 'silent' }));
  return readTopicToEnd(client, topic, { timeoutMs: 20_000 });
}

async function assertAcknowledgedAreStored(acknowledged: string[]) {
  const events = await readAll(DEFAULT_TOPICS.historyEvents);
  const images = await readAll(DEFAULT_TOPICS.eventImages);
  const storedEvents = new Map(events.map((message) => [message.headers['event-id'], decodeHistoryEventMessage(message.value)]));
  const storedPictures = new Set(images.map((message) => `${message.headers['event-id']}/${message.headers['picture-kind']}`));
  for (const eventId of acknowledged) {
    const stored = storedEvents.get(eventId);
    assert.ok(stored, `acknowledged event ${eventId} is in history-events`);
    for (const picture of stored.pictures) assert.ok(storedPictures.has(`${eventId}/${picture.kind}`), `its ${picture.kind} is in event-images`);
  }
  for (const messages of [events, images]) {
    const seen = new Map<string, string>();
    for (const message of messages) {
      const slot = `${message.topic}/${message.partition}/${message.batch!.producerId}/${message.batch!.sequence}`;
      const identity = `${message.headers['event-id']}/${message.headers['picture-kind'] ?? 'event'}`;
      assert.ok(!seen.has(slot) || seen.get(slot) === identity, `${identity} reuses the sequence number of ${seen.get(slot)}`);
      seen.set(slot, identity);
    }
  }
}

test('broker answers too late (records appended, request timed out), then recovers: every 2xx event and its pictures are stored', async () => {
  const acknowledged: string[] = [];
  const keep = ({ eventId }: { eventId?: string }) => eventId && acknowledged.push(eventId);
  keep(await postEvent('slow-before'));
  await bed.kafka.faults.roundTripTime(1, 2 * REQUEST_TIMEOUT_MS);
  const during = await postEvent('slow-during');
  await bed.kafka.faults.roundTripTime(1, 0);
  // Whatever it was told, the device's answer must be true: a 2xx is checked below like the others.
  assert.ok(during.status === 503 || during.status === 200, `answered ${during.status}`);
  keep(during);
  for (const identity of ['slow-after-1', 'slow-after-2', 'slow-after-3']) {
    const answer = await postEvent(identity);
    assert.equal(answer.status, 200);
    keep(answer);
  }
  assert.ok(acknowledged.length >= 4);
  await assertAcknowledgedAreStored(acknowledged);
});

test('produce requests refused until retries run out: 503 while it lasts, /readyz says so, and every later 2xx is stored', async () => {
  const acknowledged: string[] = [];
  await bed.kafka.faults.requestErrors(KAFKA_API_KEYS.Produce, Array(30).fill(KAFKA_ERROR_CODES.NOT_ENOUGH_REPLICAS));
  for (const identity of ['refused-1', 'refused-2', 'refused-3']) assert.equal((await postEvent(identity)).status, 503);
  assert.equal((await fetch(`${bed.gateway.url}/readyz`)).status, 503, 'a producer that keeps failing is not ready');
  await bed.kafka.faults.clearRequestErrors(KAFKA_API_KEYS.Produce);
  for (const identity of ['refused-after-1', 'refused-after-2']) {
    const answer = await postEvent(identity);
    assert.equal(answer.status, 200);
    acknowledged.push(answer.eventId!);
  }
  assert.equal((await fetch(`${bed.gateway.url}/readyz`)).status, 200);
  await assertAcknowledgedAreStored(acknowledged);
});

test('a client that hangs up while its publish waits for Kafka keeps its bytes counted until Kafka is done with them', async () => {
  const inflight = () => metricValue(bed.gateway.url, 'gateway_inflight_bytes');
  const body = JSON.stringify(eventFrom('BOX-A', 'hung-up-while-publishing'));
  await bed.kafka.faults.roundTripTime(1, 3000);
  try {
    const client = new AbortController();
    const posting = fetch(`${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}`, { method: 'POST', body, signal: client.signal }).catch(() => undefined);
    await waitFor(async () => (await inflight()) > 0, 'the upload admitted');
    await new Promise((resolve) => setTimeout(resolve, 300)); // its publish under way
    client.abort();
    await posting;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the hang-up seen by the gateway
    assert.equal(await inflight(), body.length, 'the upload still holds its records: still counted');
  } finally {
    await bed.kafka.faults.roundTripTime(1, 0);
  }
  await waitFor(async () => (await inflight()) === 0, 'released once the publish settled', 20_000);
});

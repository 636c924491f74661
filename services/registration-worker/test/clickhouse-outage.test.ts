/**
 * ClickHouse goes away under a running worker: the batch is retried (nothing published, nothing
 * committed, /readyz says so) and once ClickHouse is back the worker catches up, each request
 * decided once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningConsumerService } from '@sophon/consumer-service';
import { gatewayMessages, strangerEvent } from './events.js';
import { count, metricValue, readyStatus, startServers, startTestWorker, topicSize, TOPICS, until, untilCaughtUp, type TestServers } from './harness.js';
import { committedOffsets } from '@sophon/test-kit';

const GROUP = 'registration-worker';
let servers: TestServers;
let worker: RunningConsumerService | undefined;

before(async () => {
  servers = await startServers();
});
after(async () => {
  await worker?.shutdown.stop('test over');
  await servers?.close();
});

const strangers = (identities: string[]) => identities.flatMap((identity) => gatewayMessages(strangerEvent({}, { identity_id: identity })));

test('a ClickHouse outage pauses the worker; it catches up when ClickHouse is back, deciding each request once', async () => {
  await servers.producer.publish(strangers(['1700000000.1']));
  worker = await startTestWorker(servers, GROUP);
  await untilCaughtUp(servers, GROUP);
  assert.equal(await topicSize(servers.kafkaClient, TOPICS.faceRegistrations), 1);
  const committedBefore = await committedOffsets(servers.kafka.brokers, GROUP, TOPICS.historyEvents);

  await servers.clickhouse.stop();
  await servers.producer.publish(strangers(['1700000000.2', '1700000000.3', '1700000000.4']));
  const { opsUrl } = worker;
  await until(async () => (await metricValue(opsUrl, 'consumer_batch_retries_total')) >= 2, 'the batch to be retried', 15_000);
  assert.equal(await readyStatus(opsUrl), 503, 'not ready without ClickHouse');
  assert.equal(await metricValue(opsUrl, 'consumer_paused_partitions'), 1);
  assert.equal(await committedOffsets(servers.kafka.brokers, GROUP, TOPICS.historyEvents), committedBefore, 'nothing committed during the outage');
  assert.equal(await topicSize(servers.kafkaClient, TOPICS.faceRegistrations), 1, 'nothing published: the lookup comes first');

  await servers.clickhouse.start();
  await untilCaughtUp(servers, GROUP);
  assert.equal(await topicSize(servers.kafkaClient, TOPICS.faceRegistrations), 4);
  assert.equal(await count(servers.db, 'SELECT count() AS n FROM registrations'), 4);
  assert.equal(await metricValue(opsUrl, 'registration_decisions_total', { outcome: 'registered' }), 4);
  assert.equal(await metricValue(opsUrl, 'consumer_paused_partitions'), 0);
  await until(async () => (await readyStatus(opsUrl)) === 200, 'ready again', 5_000);
});

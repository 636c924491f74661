import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { KAFKA_API_KEYS, KAFKA_ERROR_CODES, metricSum, waitFor as until } from '@sophon/test-kit';
import type { MessageSink } from '../src/index.js';
import { useRunnerFixture } from './runner-fixture.js';

const fixture = useRunnerFixture('crash-test', { 'crash-in': 1, 'crash-stop-in': 1, 'stall-in': 1, 'stall-stop-in': 1 });

/** The broker answers the next SyncGroup with INVALID_REQUEST: kafkajs crashes and does not restart on it. */
const failNextGroupSync = () => fixture.server().faults.requestErrors(KAFKA_API_KEYS.SyncGroup, [KAFKA_ERROR_CODES.INVALID_REQUEST]);

/** Every join answered with a retriable error: kafkajs crashes and restarts the consumer itself every few hundred ms. */
const failJoins = async () => {
  // The launcher takes up to 60 codes a command; tests clear what is left.
  for (let i = 0; i < 10; i++) await fixture.server().faults.requestErrors(KAFKA_API_KEYS.JoinGroup, Array(60).fill(KAFKA_ERROR_CODES.COORDINATOR_LOAD_IN_PROGRESS));
};

const restarts = async (registry: Registry) => metricSum(await registry.metrics(), 'consumer_restarts_total');

test('a consumer kafkajs stops on an error it does not retry is started again and stores everything', async () => {
  const values = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
  await fixture.producer().publish(values.map((value) => ({ topic: 'crash-in', key: value, value: Buffer.from(value), headers: {} })));
  const stored = new Set<string>();
  const sink: MessageSink = {
    async handleBatch(messages) {
      for (const message of messages) stored.add(message.value.toString());
    },
  };
  const registry = new Registry();
  await failNextGroupSync();
  const runner = fixture.startRunner({ groupId: 'crash-group', topics: ['crash-in'], sink, registry });
  await runner.start();

  await until(() => stored.size === values.length, 'every message stored after the restart');
  assert.equal(await restarts(registry), 1, 'one restart');
  await until(async () => (await fixture.committed('crash-group', 'crash-in')) === values.length, 'offsets committed');
  await runner.checkHealth(); // a member of its group again
  await runner.stop();
});

test('stopping while a restart waits ends it: the consumer does not start again', async () => {
  const registry = new Registry();
  let batches = 0;
  await fixture.producer().publish([{ topic: 'crash-stop-in', key: 'k', value: Buffer.from('v'), headers: {} }]);
  await failNextGroupSync();
  const runner = fixture.startRunner({ groupId: 'crash-stop-group', topics: ['crash-stop-in'], sink: { handleBatch: async () => void batches++ }, registry });
  await runner.start();
  await until(
    () => runner.checkHealth().then(
      () => false,
      (error: Error) => error.message.startsWith('consumer crashed'),
    ),
    'the crash',
  );

  await runner.stop();
  await new Promise((resolve) => setTimeout(resolve, 1500)); // past the first restart's backoff (at most 1 s)
  assert.equal(await restarts(registry), 0, 'no restart after the stop');
  assert.equal(batches, 0, 'nothing consumed');
  assert.equal(await fixture.committed('crash-stop-group', 'crash-stop-in'), 0);
});

test('a consumer kafkajs keeps restarting without joining is replaced by a fresh one after two session timeouts', async () => {
  const values = Array.from({ length: 5 }, (_, i) => `stall-${i}`);
  await fixture.producer().publish(values.map((value) => ({ topic: 'stall-in', key: value, value: Buffer.from(value), headers: {} })));
  const stored = new Set<string>();
  const registry = new Registry();
  await failJoins();
  const sessionTimeoutMs = 3000;
  const startedAt = Date.now();
  const runner = fixture.startRunner({
    groupId: 'stall-group',
    topics: ['stall-in'],
    sink: { handleBatch: async (messages) => void messages.forEach((message) => stored.add(message.value.toString())) },
    registry,
    settings: { sessionTimeoutMs, heartbeatIntervalMs: 300 },
  });
  await runner.start();

  await until(async () => (await restarts(registry)) >= 1, 'the stalled consumer replaced', 30_000);
  const replacedAfterMs = Date.now() - startedAt;
  assert.ok(replacedAfterMs >= 2 * sessionTimeoutMs, `replaced after ${replacedAfterMs} ms, not before two session timeouts`);
  assert.equal(stored.size, 0, 'nothing consumed while no join succeeded');
  await fixture.server().faults.clearRequestErrors(KAFKA_API_KEYS.JoinGroup);
  await until(() => stored.size === values.length, 'every message stored by the fresh consumer');
  await until(async () => (await fixture.committed('stall-group', 'stall-in')) === values.length, 'offsets committed');
  await runner.checkHealth();
  await runner.stop();
});

test('a consumer stopped while it keeps failing to join stays stopped (kafkajs restarts nothing after the stop)', async () => {
  await fixture.producer().publish([{ topic: 'stall-stop-in', key: 'k', value: Buffer.from('v'), headers: {} }]);
  let batches = 0;
  const registry = new Registry();
  await failJoins();
  const runner = fixture.startRunner({ groupId: 'stall-stop-group', topics: ['stall-stop-in'], sink: { handleBatch: async () => void batches++ }, registry, settings: { sessionTimeoutMs: 3000, heartbeatIntervalMs: 300 } });
  await runner.start();
  await new Promise((resolve) => setTimeout(resolve, 1500)); // a few of kafkajs' own restarts
  // A slow broker: the stop lands while a join is under way, whose failure kafkajs would restart from.
  await fixture.server().faults.roundTripTime(1, 1000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await runner.stop();
  await fixture.server().faults.roundTripTime(1, 0);
  await fixture.server().faults.clearRequestErrors(KAFKA_API_KEYS.JoinGroup);
  await new Promise((resolve) => setTimeout(resolve, 8000)); // past two session timeouts and any restart's backoff
  assert.equal(batches, 0, 'nothing consumed after the stop');
  assert.equal(await fixture.committed('stall-stop-group', 'stall-stop-in'), 0);
  assert.equal(await restarts(registry), 0, 'no restart of ours after the stop');
});

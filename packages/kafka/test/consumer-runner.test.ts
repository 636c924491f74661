import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { startTopicReader, waitFor as until } from '@sophon/test-kit';
import { DEAD_LETTER_HEADERS, PermanentError, replayRecord, type MessageSink } from '../src/index.js';
import { DEAD_LETTER_TOPIC, keysPerPartition, useRunnerFixture } from './runner-fixture.js';

const fixture = useRunnerFixture('runner-test', { 'retry-in': 1, 'poison-in': 2, 'stop-in': 1, 'hand-in': 2 });
const { committed } = fixture;
const startRunner = (topic: string, groupId: string, sink: MessageSink, registry = new Registry()) => fixture.startRunner({ groupId, topics: [topic], sink, registry });

async function publish(topic: string, values: string[]) {
  await fixture.producer().publish(values.map((value, i) => ({ topic, key: `k${i % 4}`, value: Buffer.from(value), headers: { 'event-id': value } })));
}

test('a transiently failing sink is retried with backoff; offsets are committed only after it stored', async () => {
  const values = Array.from({ length: 20 }, (_, i) => `retry-${i}`);
  await publish('retry-in', values);
  let failuresLeft = 4;
  let committedWhileFailing = -1;
  const stored = new Set<string>();
  const registry = new Registry();
  const runner = startRunner(
    'retry-in',
    'retry-group',
    {
      async handleBatch(messages) {
        if (failuresLeft > 0) {
          failuresLeft--;
          if (failuresLeft === 0) committedWhileFailing = await committed('retry-group', 'retry-in');
          throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
        }
        for (const message of messages) stored.add(message.value.toString());
      },
    },
    registry,
  );
  await runner.start();
  await until(() => stored.size === values.length, 'every message stored');
  assert.equal(committedWhileFailing, 0, 'nothing was committed while the sink failed');
  await until(async () => (await committed('retry-group', 'retry-in')) === values.length, 'offsets committed');
  const metrics = await registry.getSingleMetricAsString('consumer_batch_retries_total');
  assert.match(metrics, /consumer_batch_retries_total\{topic="retry-in"\} [1-9]/);
  await runner.stop();
});

test('the sink is told how many batches of its topic it holds at once', async () => {
  // Two messages in each partition, so that each has a batch to hand over.
  const [first, second] = keysPerPartition('hand-in', 2, 2);
  await fixture.producer().publish([...first!, ...second!].map((key) => ({ topic: 'hand-in', key, value: Buffer.from(key), headers: {} })));
  const seen: number[] = [];
  let bothInHand!: () => void;
  const together = new Promise<void>((resolve) => (bothInHand = resolve));
  let stored = 0;
  const runner = startRunner('hand-in', 'hand-group', {
    async handleBatch(messages, context) {
      seen.push(context.batchesInSink());
      if (context.batchesInSink() === 2) bothInHand();
      // Each batch waits (a while at most) for the other, as a batcher would.
      await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 5000))]);
      stored += messages.length;
    },
  });
  await runner.start();
  await until(() => stored === 4, 'every message stored');
  assert.ok(seen.includes(2), `both partitions' batches were in the sink at once (seen ${seen.join(', ')})`);
  await fixture.producer().publish([{ topic: 'hand-in', key: first![0]!, value: Buffer.from('later'), headers: {} }]);
  await until(() => stored === 5, 'the later message stored');
  assert.equal(seen.at(-1), 1, 'a batch alone, once the others were answered');
  await runner.stop();
});

test('a message that can never succeed goes to the dead-letter topic with its reason; the rest flows on', async () => {
  await publish('poison-in', ['good-1', 'poison', 'good-2', 'good-3']);
  const stored: string[] = [];
  const runner = startRunner('poison-in', 'poison-group', {
    async handleBatch(messages) {
      const rejected = messages.filter((m) => m.value.toString() === 'poison').map((message) => ({ message, error: new PermanentError('not a HistoryEvent') }));
      stored.push(...messages.filter((m) => m.value.toString() !== 'poison').map((m) => m.value.toString()));
      return { rejected };
    },
  });
  await runner.start();
  await until(async () => (await committed('poison-group', 'poison-in')) === 4, 'committed past the poison message');
  assert.deepEqual(stored.sort(), ['good-1', 'good-2', 'good-3']);
  await runner.stop();

  const reader = await startTopicReader(fixture.server().brokers, [DEAD_LETTER_TOPIC]);
  const [dead] = await reader.read(DEAD_LETTER_TOPIC, 1).finally(() => reader.close());
  assert.equal(dead?.value.toString(), 'poison');
  assert.equal(dead?.headers['event-id'], 'poison', 'original headers kept');
  assert.equal(dead?.headers[DEAD_LETTER_HEADERS.sourceTopic], 'poison-in');
  assert.equal(dead?.headers[DEAD_LETTER_HEADERS.consumerGroup], 'poison-group');
  assert.match(dead?.headers[DEAD_LETTER_HEADERS.sourceOffset] ?? '', /^\d+$/);
  assert.match(dead?.headers[DEAD_LETTER_HEADERS.error] ?? '', /PermanentError: not a HistoryEvent/);
  const replay = replayRecord(dead!);
  assert.equal(replay.topic, 'poison-in');
  assert.deepEqual(Object.keys(replay.headers), ['event-id']);
});

test('stopping during an outage leaves the batch uncommitted; the next member of the group gets it', async () => {
  await publish('stop-in', ['s-1', 's-2', 's-3']);
  let attempts = 0;
  const failing = startRunner('stop-in', 'stop-group', {
    async handleBatch() {
      attempts++;
      throw new Error('socket hang up');
    },
  });
  await failing.start();
  await until(() => attempts >= 2, 'a couple of failed attempts');
  const stopStarted = Date.now();
  await failing.stop();
  assert.ok(Date.now() - stopStarted < 5000, `stop took ${Date.now() - stopStarted} ms`);
  assert.equal(await committed('stop-group', 'stop-in'), 0);

  const stored: string[] = [];
  const healthy = startRunner('stop-in', 'stop-group', { handleBatch: async (messages) => void stored.push(...messages.map((m) => m.value.toString())) });
  await healthy.start();
  await until(() => stored.length === 3, 'the batch redelivered');
  assert.deepEqual(stored, ['s-1', 's-2', 's-3']);
  await healthy.stop();
});

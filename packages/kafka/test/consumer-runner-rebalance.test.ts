import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor as until } from '@sophon/test-kit';
import type { MessageSink } from '../src/index.js';
import { keysPerPartition, useRunnerFixture } from './runner-fixture.js';

const fixture = useRunnerFixture('rebalance-test', { 'rebalance-in': 2 });
const startRunner = (groupId: string, sink: MessageSink) =>
  fixture.startRunner({ groupId, topics: ['rebalance-in'], sink, settings: { maxBytesPerPartition: 1024 * 1024, retry: { initialMs: 100, maxMs: 300 } } });

test('a member retrying a sink outage takes part in a rebalance and stops retrying the partitions it lost', async () => {
  const perPartition = 10;
  await fixture.producer().publish(keysPerPartition('rebalance-in', 2, perPartition).flat().map((key) => ({ topic: 'rebalance-in', key, value: Buffer.from(key), headers: {} })));

  // The first member's sink is down for the whole test; it records which partitions it tries.
  const attempts: number[] = [];
  const failing = startRunner('rebalance-group', {
    async handleBatch(messages) {
      attempts.push(messages[0]!.partition);
      throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
    },
  });
  await failing.start();
  await until(() => attempts.includes(0) && attempts.includes(1), 'the first member retrying both partitions');

  // A second, healthy member joins: it must get a partition while the first is still failing.
  const stored = new Map<number, number>();
  let attemptsWhenSecondStored = -1;
  let ownedBySecond = -1;
  const healthy = startRunner('rebalance-group', {
    async handleBatch(messages) {
      const { partition } = messages[0]!;
      if (ownedBySecond < 0) {
        ownedBySecond = partition;
        attemptsWhenSecondStored = attempts.length;
      }
      stored.set(partition, (stored.get(partition) ?? 0) + messages.length);
    },
  });
  await healthy.start();
  // Without heartbeats answering the rebalance, the group waits for the first member's rebalance
  // timeout (kafkajs' 60 s): half of that tells the two apart with room for a loaded machine
  // (three session timeouts were seen to be too tight on one).
  await until(() => ownedBySecond >= 0, 'the second member storing a partition', 30_000);
  await until(() => stored.get(ownedBySecond) === perPartition, 'the second member storing all of its partition');

  // The first member is still retrying (its own partition), and no longer the one it lost.
  await until(() => attempts.length >= attemptsWhenSecondStored + 5, 'the first member retrying on');
  const lostPartitionAttempts = attempts.slice(attemptsWhenSecondStored).filter((p) => p === ownedBySecond);
  assert.deepEqual(lostPartitionAttempts, [], 'no retries of a revoked partition after its new owner stored it');
  assert.equal(stored.size, 1, 'the second member got only one partition: the first is still a member');
  assert.equal(await fixture.committed('rebalance-group', 'rebalance-in'), perPartition, 'only the stored partition is committed');

  // The first member leaves: its partition moves to the healthy one, uncommitted work included.
  await failing.stop();
  await until(() => stored.get(1 - ownedBySecond) === perPartition, 'the other partition stored by the second member');
  await until(async () => (await fixture.committed('rebalance-group', 'rebalance-in')) === 2 * perPartition, 'everything committed');
});

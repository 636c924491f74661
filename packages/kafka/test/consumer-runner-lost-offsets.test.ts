import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '@sophon/logger';
import { waitFor as until } from '@sophon/test-kit';
import { useRunnerFixture } from './runner-fixture.js';

const fixture = useRunnerFixture('lost-offsets-test', { 'small-in': 1 });

function startRunner(stored: string[], registry: Registry, logLines: string[]) {
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
  return fixture.startRunner({
    groupId: 'lagging-group',
    topics: ['small-in'],
    sink: { handleBatch: async (messages) => void stored.push(...messages.map((m) => m.offset)) },
    registry,
    logger: createLogger({ service: 'lost-offsets-test', level: 'warn', destination }),
    settings: { maxBytesPerPartition: 8 * 1024 * 1024, partitionsConsumedConcurrently: 1 },
  });
}

const publishOne = (value: Buffer) => fixture.producer().publish([{ topic: 'small-in', key: 'k', value, headers: {} }]);

test('a partition reset past a lagging committed offset is an alarm naming the lost range', async () => {
  for (let i = 0; i < 3; i++) await publishOne(Buffer.from(`small-${i}`));
  const first: string[] = [];
  const runner = startRunner(first, new Registry(), []);
  await runner.start();
  await until(async () => (await fixture.committed('lagging-group', 'small-in')) === 3, 'the first three committed');
  await runner.stop();

  // While the group is away, 12 × 600 KB in separate sends: the mock broker keeps ~5 MB per
  // partition and drops the oldest, including offset 3 where the group stands.
  for (let i = 0; i < 12; i++) await publishOne(Buffer.alloc(600 * 1024, i));
  const registry = new Registry();
  const logLines: string[] = [];
  const stored: string[] = [];
  await startRunner(stored, registry, logLines).start();
  await until(() => stored.includes('14'), 'the newest message consumed');

  const firstKept = Number(stored[0]);
  assert.ok(firstKept > 3, `the broker dropped offset 3 (first kept: ${firstKept})`);
  const metrics = await registry.metrics();
  assert.match(metrics, /consumer_offset_out_of_range_total\{topic="small-in",partition="0"\} 1\b/);
  assert.match(metrics, new RegExp(`consumer_messages_lost_total\\{topic="small-in"\\} ${firstKept - 3}\\b`));
  const alarm = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => String(entry.msg).startsWith('offsets lost'));
  assert.ok(alarm, `an error log about the lost offsets among: ${logLines.join('\n')}`);
  assert.equal(alarm.level, 'error');
  assert.deepEqual([alarm.topic, alarm.partition, alarm.lostFrom, alarm.lostTo], ['small-in', 0, '3', String(firstKept - 1)]);
});

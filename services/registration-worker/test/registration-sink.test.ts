import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { isPermanent, type ConsumedMessage, type ProducerRecord, type SinkContext } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { Registry } from '@sophon/ops-http';
import { registrationId } from '../src/decide.js';
import { createRegistrationMetrics } from '../src/metrics.js';
import { createRegistrationSink } from '../src/registration-sink.js';
import type { RegistrationRow, RegistrationsTable } from '../src/registrations-table.js';
import { gatewayMessages, historyEventMessage, POLICY, strangerEvent } from './events.js';

const context: SinkContext = { signal: new AbortController().signal, heartbeat: async () => {}, batchesInSink: () => 1, logger: createLogger({ service: 'sink-test', level: 'silent' }) };

/** The history-events message of a device event, as the worker's consumer receives it. */
function consumed(overrides: Parameters<typeof gatewayMessages>[0], offset = 0): ConsumedMessage {
  const message = gatewayMessages(overrides).find((m) => m.topic === DEFAULT_TOPICS.historyEvents);
  assert.ok(message);
  return { ...message, partition: 0, offset: String(offset), timestamp: Date.now() };
}

/** The registrations table and the producer in memory, with failures on demand and a log of calls. */
function harness() {
  const rows: RegistrationRow[] = [];
  const published: ProducerRecord[] = [];
  const calls: string[] = [];
  const failures = { lookup: 0, publish: 0, record: 0 };
  const registrations: RegistrationsTable = {
    async decided(eventIds) {
      calls.push('lookup');
      if (failures.lookup > 0 && failures.lookup--) throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
      return new Set(rows.filter((row) => eventIds.includes(row.event_id)).map((row) => registrationId(row.event_id, row.action)));
    },
    async record(batch) {
      calls.push('record');
      if (failures.record > 0 && failures.record--) throw new Error('socket hang up');
      rows.push(...batch);
    },
  };
  const producer = {
    async publish(records: ProducerRecord[]) {
      calls.push('publish');
      if (failures.publish > 0 && failures.publish--) throw new Error('Kafka did not acknowledge within 10000 ms');
      published.push(...records);
    },
  };
  const metrics = createRegistrationMetrics(new Registry());
  const sink = createRegistrationSink({ registrations, producer, topic: 'face-registrations', metrics, policy: POLICY, now: () => 1714636801999 });
  const counted = async (counter: keyof typeof metrics) => (await metrics[counter].get()).values.map(({ labels, value }) => ({ ...labels, value }));
  return { sink, rows, published, calls, failures, counted };
}

const good = consumed(strangerEvent(), 0);
const poor = consumed(strangerEvent({ fiqa_result: false }, { identity_id: '1602612099.1' }), 1);
const reupload = { ...good, offset: '2' };
const notJson: ConsumedMessage = { ...good, offset: '3', value: Buffer.from('{"truncated') };
const goodId = historyEventMessage(strangerEvent()).event_id;

describe('the registration sink', () => {
  it('decides each request once per batch: one lookup, one publish, then one insert; undecodable messages are rejected', async () => {
    const { sink, rows, published, calls, counted } = harness();
    const result = await sink.handleBatch([good, poor, reupload, notJson], context);

    assert.deepEqual(calls, ['lookup', 'publish', 'record'], 'commands are acknowledged before their decisions are recorded');
    assert.equal(published.length, 1, 'the refused request and the re-upload publish nothing');
    assert.equal(published[0]?.headers['registration-id'], `${goodId}:new_stranger`);
    assert.deepEqual(rows.map((row) => [row.outcome, row.decided_at_ms]), [['registered', 1714636801999], ['refused', 1714636801999]]);
    assert.equal(result?.rejected?.length, 1);
    assert.equal(result?.rejected?.[0]?.message, notJson);
    assert.ok(isPermanent(result?.rejected?.[0]?.error), 'a contract violation is dead-lettered, not retried');
    assert.deepEqual(await counted('decisions'), [
      { action: 'new_stranger', outcome: 'registered', value: 1 },
      { action: 'new_stranger', outcome: 'refused', value: 1 },
    ]);
    assert.deepEqual(await counted('alreadyDecided'), [{ action: 'new_stranger', value: 1 }]);
  });

  it('skips what is already recorded: a replay publishes and records nothing', async () => {
    const { sink, rows, published } = harness();
    await sink.handleBatch([good, poor], context);
    await sink.handleBatch([good, poor], context);
    assert.equal(published.length, 1);
    assert.equal(rows.length, 2);
  });

  it('a failed lookup or publish throws before anything is recorded; the retry decides once', async () => {
    for (const failing of ['lookup', 'publish'] as const) {
      const { sink, rows, published, failures } = harness();
      failures[failing] = 1;
      await assert.rejects(sink.handleBatch([good, poor], context));
      assert.equal(rows.length, 0, `${failing} failed: nothing recorded, so the retry decides again`);
      await sink.handleBatch([good, poor], context);
      assert.equal(published.length, 1);
      assert.equal(rows.length, 2);
    }
  });

  it('a failed insert after the publish throws; the retry publishes the same registration id again', async () => {
    const { sink, rows, published, failures } = harness();
    failures.record = 1;
    await assert.rejects(sink.handleBatch([good], context), /socket hang up/);
    await sink.handleBatch([good], context);
    assert.deepEqual(
      published.map((record) => record.headers['registration-id']),
      [`${goodId}:new_stranger`, `${goodId}:new_stranger`],
      'at least once, with the idempotency key downstream dedupes by',
    );
    assert.equal(rows.length, 1);
  });
});

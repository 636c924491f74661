/** The history-events sink without servers: a stand-in ClickHouse client records what is sent. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { ClickHouseClient } from '@sophon/clickhouse';
import type { ConsumedMessage, SinkContext } from '@sophon/kafka';
import { createMetricsRegistry } from '@sophon/ops-http';
import { createHistoryEventSink } from '../src/history-event-sink.js';
import { event, historyMessages, logger } from './harness.js';

const context: SinkContext = { signal: new AbortController().signal, heartbeat: async () => {}, batchesInSink: () => 1, logger };

test('an insert made ready by one batch is sent before the next batch handed over with it is decoded', async () => {
  const order: string[] = [];
  const client = {
    exec: async () => {
      order.push('insert sent');
      return { stream: Readable.from([]) };
    },
  } as unknown as ClickHouseClient;
  // Two batches at a time: one waiting sends the insert.
  const registry = createMetricsRegistry('analytics-writer');
  const sink = createHistoryEventSink({ client, database: 'sophon', maxRows: 1000, maxWaitMs: 60_000, concurrentBatches: 2, insertsInFlight: 2, registry });
  const message = (n: number, onDecode?: () => void): ConsumedMessage => {
    const { value, headers, key } = historyMessages(event('BOX-Y', n))[0]!;
    const consumed = { topic: 'history-events', partition: n, offset: '0', key, headers, timestamp: Date.now() } as ConsumedMessage;
    return Object.defineProperty(consumed, 'value', { get: () => (onDecode?.(), value), enumerable: true });
  };

  // As kafkajs hands over the batches of a fetch: in the same turn of the event loop.
  const first = sink.handleBatch([message(1, () => order.push('first decoded'))], context);
  const second = sink.handleBatch([message(2, () => order.push('second decoded'))], context);
  await Promise.all([first, second]);
  assert.deepEqual(order.slice(0, 3), ['first decoded', 'insert sent', 'second decoded']);
  // When the last insert succeeded, for an alert on a writer that stopped storing.
  const lastInsert = (await registry.getSingleMetric('analytics_last_insert_timestamp_seconds')!.get()).values[0]!.value;
  assert.ok(Math.abs(lastInsert * 1000 - Date.now()) < 5000, `analytics_last_insert_timestamp_seconds ${lastInsert}`);
});

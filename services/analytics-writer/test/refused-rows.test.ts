import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClickHouseClient, isRowDataError, migrate, type ClickHouseClient } from '@sophon/clickhouse';
import type { OutboundMessage } from '@sophon/event-contract';
import { isPermanent, type ConsumedMessage, type SinkContext } from '@sophon/kafka';
import { createMetricsRegistry } from '@sophon/ops-http';
import { startClickHouse, type ClickHouseServer } from '@sophon/test-kit';
import { createHistoryEventSink } from '../src/history-event-sink.js';
import { event, historyMessages, logger, rows } from './harness.js';

// ClickHouse 18.16 refuses a row for its data while the writer's own checks pass it: the
// `narrow` database's history_events holds identity_name as FixedString(12), so a longer name
// is TOO_LARGE_STRING_SIZE, as a value no column type can hold would be on the real table.
let clickhouse: ClickHouseServer;
let client: ClickHouseClient;
before(async () => {
  clickhouse = await startClickHouse();
  client = createClickHouseClient({ url: clickhouse.url, username: 'default', password: '' }, logger);
  await migrate({ client, database: 'sophon', logger });
  await client.command({ query: 'CREATE DATABASE narrow' });
  await client.command({ query: 'CREATE TABLE narrow.history_events AS sophon.history_events' });
  await client.command({ query: 'ALTER TABLE narrow.history_events MODIFY COLUMN identity_name FixedString(12)' });
});
after(async () => {
  await client?.close();
  await clickhouse?.close();
});

let offset = 0;
function consumed(message: OutboundMessage, partition: number): ConsumedMessage {
  return { topic: message.topic, partition, offset: String(offset++), key: message.key, value: message.value, headers: message.headers, timestamp: Date.now() };
}
const messagesOf = (partition: number, names: string[]) =>
  names.map((name, i) => consumed(historyMessages(event(`BOX-P${partition}`, partition * 100 + i, (e) => (e.identity_name = name)))[0]!, partition));

const context: SinkContext = { signal: new AbortController().signal, heartbeat: async () => {}, batchesInSink: () => 1, logger };
/** With 2n concurrent batches, n waiting send the insert: the batches handled together share it. */
const sinkFor = (database: string, batchesTogether: number) =>
  createHistoryEventSink({ client, database, maxRows: 1000, maxWaitMs: 60_000, concurrentBatches: 2 * batchesTogether, insertsInFlight: 2, registry: createMetricsRegistry('analytics-writer') });

test('a row ClickHouse refuses is rejected alone: the rest of its batch and the other partitions are stored', async () => {
  const sink = sinkFor('narrow', 2);
  const clean = messagesOf(0, ['Ann', 'Bob', 'Cy']);
  const mixed = messagesOf(1, ['Dee', 'A name far longer than twelve bytes', 'Eve', 'Another overlong name', 'Flo']);
  const [cleanResult, mixedResult] = await Promise.all([sink.handleBatch(clean, context), sink.handleBatch(mixed, context)]);

  assert.deepEqual(cleanResult?.rejected, []);
  const rejected = mixedResult?.rejected ?? [];
  assert.deepEqual(rejected.map(({ message }) => message.offset), [mixed[1]!.offset, mixed[3]!.offset]);
  for (const { error } of rejected) {
    assert.ok(isPermanent(error), 'dead-lettered, not retried');
    assert.match((error as Error).message, /ClickHouse refused the row: TOO_LARGE_STRING_SIZE \(131\): .*FixedString/);
  }
  const stored = await rows<{ identity_name: string }>(client, 'SELECT identity_name FROM narrow.history_events ORDER BY identity_name');
  assert.deepEqual(
    stored.map((r) => r.identity_name.replace(/\0+$/, '')),
    ['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Flo'],
  );
});

test('a message the contract refuses is rejected with its reason before it makes a row; its feature-carrying neighbours are stored as sent', async () => {
  const sink = sinkFor('sophon', 1);
  const feature = Array.from({ length: 512 }, (_, i) => ((i % 97) - 48) / 64); // exact in Float32 and in decimal
  const withFeature = (name: string, n: number) => historyMessages(event('BOX-C', n, (e) => ((e.identity_name = name), (e.ext_data.info = { feature }))))[0]!;
  const [good, badFeature, badId] = [withFeature('Gus', 300), withFeature('Hal', 301), withFeature('Ivy', 302)];
  const text = (message: OutboundMessage) => message.value.toString('utf8');
  const broken = (message: OutboundMessage, from: string | RegExp, to: string) => ({ ...message, value: Buffer.from(text(message).replace(from, to)) });
  const batch = [
    consumed(good, 3),
    // A feature item that is no number: the writer's decoder checks the vector without parsing it.
    consumed(broken(badFeature, /"feature":\[[^,]+,/, '"feature":["x",'), 3),
    consumed(broken(badId, /"event_id":"[0-9a-f]+"/, '"event_id":"nope"'), 3),
    consumed({ ...good, value: Buffer.from(text(good).slice(0, -1)) }, 3),
  ];
  const rejected = (await sink.handleBatch(batch, context))?.rejected ?? [];
  assert.deepEqual(rejected.map(({ message }) => message.offset), batch.slice(1).map((message) => message.offset));
  const reasons = rejected.map(({ error }) => (assert.ok(isPermanent(error)), (error as Error).message));
  assert.match(reasons[0]!, /^not a storable history event: invalid history-events message: \/event\/ext_data\/info\/feature\/0 must be a number \(got "x"\)/);
  assert.match(reasons[1]!, /^not a storable history event: invalid history-events message: \/event_id /);
  assert.equal(reasons[2], 'not a storable history event: history-events message is not JSON');

  const [stored] = await rows<{ identity_name: string; feature: number[] }>(client, "SELECT identity_name, feature FROM sophon.history_events WHERE dev_sno = 'BOX-C'");
  assert.equal(stored?.identity_name, 'Gus');
  assert.deepEqual(stored?.feature, feature);
});

test('a failure that is not about a row (a missing table) fails the whole batch for a retry, dead-letters nothing', async () => {
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS empty' });
  const sink = sinkFor('empty', 1);
  await assert.rejects(
    () => sink.handleBatch(messagesOf(2, ['Gil']), context),
    (error: Error) => /Code: 60/.test(error.message) && !isPermanent(error),
  );
});

test('only errors about the data of a row are permanent: load, memory, network and schema errors are retried', () => {
  const server = (text: string) => new Error(`${text}, e.what() = DB::Exception`);
  assert.equal(isRowDataError(server("Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: .5}")), true);
  assert.equal(isRowDataError(Object.assign(new Error('Cannot parse'), { code: '72', type: 'CANNOT_PARSE_NUMBER' })), true);
  for (const transient of [
    server('Code: 252, e.displayText() = DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts.'),
    server('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded'),
    server('Code: 16, e.displayText() = DB::Exception: No such column x in table'),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }),
    new Error('Timeout error.'),
  ]) {
    assert.equal(isRowDataError(transient), false, transient.message);
  }
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningConsumerService } from '@sophon/consumer-service';
import { tableColumns } from '@sophon/clickhouse/testing';
import { decodeHistoryEventMessage, decodeHistoryEventMessageKeepingFeatureJson, DEFAULT_TOPICS } from '@sophon/event-contract';
import { committedOffsets, fetchMetrics, startClickHouse, startKafka, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { startAnalyticsWriter } from '../src/analytics-writer.js';
import { historyEventRow, historyEventRowLine } from '../src/history-event-row.js';
import { event, historyMessages, logger, producerFor, query, rows, TOPICS, until, writerConfig } from './harness.js';

let kafka: KafkaServer;
let clickhouse: ClickHouseServer;
let writer: RunningConsumerService;
before(async () => {
  [kafka, clickhouse] = await Promise.all([startKafka({ topics: TOPICS }), startClickHouse()]);
  writer = await startAnalyticsWriter(writerConfig(kafka, clickhouse), logger);
});
after(async () => {
  await writer?.shutdown.stop('test over');
  await Promise.all([kafka?.close(), clickhouse?.close()]);
});

const count = async (sql: string) => Number((await rows<{ n: string }>(query(clickhouse), sql))[0]?.n ?? 0);

const sent = [
  event('BOX-1', 1, (e) => {
    e.ext_data.person_type = 4;
    e.want_action = '1001';
    e.ext_data.fiqa_result = false;
    e.ext_data.firmware = 'V5R3C01';
    e.ext_data.info = { age: 'youth', gender: 'female', glasses: 'no', box: [1, 2, 3, 4], feature: [0.5, -0.25] };
  }),
  event('BOX-1', 2),
    event('BOX-2', 3, (e) => (e.ext_data.person_type = 3)),
];

test('a row and its JSON line carry exactly the columns of history_events (JSONEachRow must send every column)', async () => {
  const [published] = historyMessages(sent[0]);
  assert.ok(published);
  const position = { topic: DEFAULT_TOPICS.historyEvents, partition: 0, offset: 0 };
  const row = historyEventRow(decodeHistoryEventMessage(published.value), position);
  const line = historyEventRowLine(decodeHistoryEventMessageKeepingFeatureJson(published.value), position, Date.now());
  const columns = await tableColumns(query(clickhouse), 'sophon', 'history_events');
  assert.deepEqual(Object.keys(row).sort(), columns);
  assert.deepEqual(Object.keys(JSON.parse(line)).sort(), columns, 'the line with the reused feature text too');
});

test('each event becomes one row with the values of the event', async () => {
  const producer = await producerFor(kafka);
  await producer.publish(sent.flatMap(historyMessages));
  await producer.disconnect();
  await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === 3, 'three rows');

  const [row] = await rows<Record<string, unknown>>(query(clickhouse), "SELECT * FROM history_events FINAL WHERE identity_id = 'person-1'");
  assert.equal(row?.dev_sno, 'BOX-1');
  assert.equal(row?.person_type, 'stranger');
  assert.equal(row?.want_action, 'new_stranger');
  assert.equal(row?.fiqa_result, 0);
  assert.equal(row?.age, 'youth');
  assert.equal(row?.gender, 'female');
  assert.deepEqual(row?.face_box, [1, 2, 3, 4]);
  assert.deepEqual(row?.feature, [0.5, -0.25]);
  assert.equal(Number(row?.event_time_ms), sent[0].timestamp);
  assert.equal(row?.kafka_topic, DEFAULT_TOPICS.historyEvents);
  assert.match(String(row?.face_pic_key), /^\d{4}\/\d\d\/\d\d\/BOX-1\/[0-9a-f]{32}\/recognize_face\.jpg$/);
  assert.deepEqual(JSON.parse(String(row?.ext_json)), { firmware: 'V5R3C01' });
  assert.equal(await count("SELECT count() AS n FROM v_watchlist_hits WHERE dev_sno = 'BOX-2'"), 1);
  // A few events at once: sent because every batch in hand was waiting, or by the timer, never for lack of a reason.
  assert.match(await fetchMetrics(writer.opsUrl), /analytics_inserts_sent_total\{reason="(all-waiting|timer|company)",service="analytics-writer"\} [1-9]/);
});

test('a device retry and a replay from offset 0 still count once', async () => {
  const producer = await producerFor(kafka);
  await producer.publish([...sent.flatMap(historyMessages), ...historyMessages(event('BOX-3', 4))]);
  await producer.disconnect();
  // A second writer in a new group reads the whole topic again (a replay).
  const replay = await startAnalyticsWriter(writerConfig(kafka, clickhouse, { CONSUMER_GROUP_ID: 'replay', ANALYTICS_MIGRATE_ON_START: 'false' }), logger);
  try {
    await until(async () => (await count('SELECT count() AS n FROM history_events')) >= 11, 'the replay inserted its copies');
  } finally {
    await replay.shutdown.stop('test over');
  }
  assert.equal(await count('SELECT count() AS n FROM history_events FINAL'), 4);
  assert.equal(await count('SELECT uniqExact(event_id) AS n FROM history_events'), 4);
  assert.equal(await count('SELECT sum(events) AS n FROM v_events_per_device_hour'), 4);
});

test('ClickHouse stopped: the writer pauses and commits nothing, then catches up with everything', async () => {
  const before = await count('SELECT count() AS n FROM history_events FINAL');
  const committedBefore = await committedOffsets(kafka.brokers, 'analytics-writer', DEFAULT_TOPICS.historyEvents);
  await clickhouse.stop();
  const producer = await producerFor(kafka);
  await producer.publish(Array.from({ length: 30 }, (_, i) => event('BOX-OUTAGE', 100 + i)).flatMap(historyMessages));
  await producer.disconnect();
  await until(async () => (await fetch(`${writer.opsUrl}/readyz`)).status === 503, 'readyz reports ClickHouse down');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(await committedOffsets(kafka.brokers, 'analytics-writer', DEFAULT_TOPICS.historyEvents), committedBefore, 'nothing committed while ClickHouse is down');
  await clickhouse.start();
  await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === before + 30, 'caught up', 30_000);
  await until(async () => (await fetch(`${writer.opsUrl}/readyz`)).status === 200, 'ready again');
});

test('a poison message is dead-lettered with its reason; the rest flows on', async () => {
  const producer = await producerFor(kafka);
  await producer.publish([
    { topic: DEFAULT_TOPICS.historyEvents, key: 'BOX-X', value: Buffer.from('{"schema_version":1,"not":"an event"}'), headers: { 'event-id': 'poison-1' } },
    ...historyMessages(event('BOX-AFTER-POISON', 500)),
  ]);
  await producer.disconnect();
  await until(async () => (await count("SELECT count() AS n FROM history_events WHERE dev_sno = 'BOX-AFTER-POISON'")) === 1, 'the good event');
  const metrics = await fetchMetrics(writer.opsUrl);
  assert.match(metrics, /consumer_messages_dead_lettered_total\{topic="history-events",service="analytics-writer"\} 1/);
});


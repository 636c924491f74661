/**
 * Analytics writer: rows/s from a pre-filled history-events topic into ClickHouse, against two
 * ceilings measured in the same run on the same messages: kafkajs consuming the topic with no sink
 * (the writer's consumer settings), and the same rows inserted straight with @clickhouse/client
 * (the writer's batch size). Then its cost at 1×, 4× and 16× a base rate.
 * Servers of its own from the test kit (the broker with 64 partitions: it keeps only ~5 MB per
 * partition, so the backlog is spread evenly, ~2.5 MB each); the writer is a process of its own.
 */
import type { Kafka, Producer } from 'kafkajs';
import { migrate, type ClickHouseClient } from '@sophon/clickhouse';
import { decodeHistoryEventMessage, type OutboundMessage } from '@sophon/event-contract';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { freePort, metricValue, startClickHouse, startKafka, waitFor } from '@sophon/test-kit';
import { clickhouseClient } from '../local/clients.js';
// The writer's own mapping, so the direct insert sends exactly the rows the writer would.
import { historyEventRow, type HistoryEventRow } from '../../services/analytics-writer/src/history-event-row.js';
import { startService } from './child-processes.js';
import { historyEventMessages } from './history-messages.js';
import { childPid, startPhase } from './process-stats.js';
import { formatMiB, MiB, phaseMs, type BenchSettings } from './settings.js';

const TOPIC = 'history-events';
const PARTITIONS = 64;
const INSERT_BATCH_ROWS = 10_000; // ANALYTICS_BATCH_ROWS' default
const UNIQUE_MESSAGES = 6_000;
const WRITER_PARTITIONS_CONCURRENTLY = 16; // the writer's default CONSUMER_PARTITIONS_CONCURRENTLY
const TARGET_RATIO = 0.6;
const logger = createLogger({ service: 'bench', level: 'silent' });

export async function benchmarkWriter(settings: BenchSettings): Promise<{ peakRssBytes: number }> {
  const { output, recorder } = settings;
  const total = settings.quick ? 2_000 : 48_000;
  output.line(`writer: ${total} history-events messages over ${PARTITIONS} partitions`);
  const [kafka, clickhouse] = await Promise.all([startKafka({ topics: { [TOPIC]: PARTITIONS, 'pipeline-dead-letter': 1 } }), startClickHouse()]);
  const admin = clickhouseClient(clickhouse);
  // A bare kafkajs consumer is the ceiling measured below, made by the product's client factory.
  const client = createKafkaClient({ brokers: kafka.brokers, clientId: 'bench' }, logger);
  const producer = client.producer();
  let writer: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    await migrate({ client: admin, database: 'sophon', logger });
    await migrate({ client: admin, database: 'bench_direct', logger });
    const unique = historyEventMessages(Math.min(UNIQUE_MESSAGES, total));
    const messages = Array.from({ length: total }, (_, i) => unique[i % unique.length]!);
    const bytes = messages.reduce((sum, message) => sum + message.value.length, 0);
    await producer.connect();
    await produceEvenly(producer, messages, 0);

    // Ceiling 1: the same topic consumed by kafkajs with no sink.
    const consumeRate = await consumeWithoutSink(client, total);
    // Ceiling 2: the same rows inserted straight into ClickHouse.
    const insertRate = await insertDirectly(admin, unique, total);

    // The writer: from its first fetched message to its last inserted row.
    const opsPort = await freePort();
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    writer = await startService(
      'analytics-writer',
      {
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        CLICKHOUSE_URL: clickhouse.url,
        CLICKHOUSE_DATABASE: 'sophon',
        ANALYTICS_MIGRATE_ON_START: 'false',
        OPS_HOST: '127.0.0.1',
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
      },
      opsUrl,
    );
    await waitFor(async () => (await metricValue(opsUrl, 'consumer_messages_consumed_total')) > 0, 'the writer to fetch', 60_000, 10);
    const phase = startPhase({ writer: writer.pid, clickhouse: childPid('clickhouse-server') });
    const started = performance.now();
    await waitFor(async () => (await metricValue(opsUrl, 'analytics_rows_inserted_total')) >= total, 'every row inserted', 120_000, 20);
    const writerRate = total / ((performance.now() - started) / 1000);
    const drainAll = phase.end();
    const drain = drainAll['writer']!;

    const slowerCeiling = Math.min(consumeRate, insertRate);
    const ratio = writerRate / slowerCeiling;
    recorder.target('analytics writer: rows/s vs the slower ceiling', ratio * 100, '>=', TARGET_RATIO * 100, '%');
    recorder.section({
      title: 'Analytics writer: history-events → ClickHouse',
      method:
        `${total} history-events messages (${(bytes / total / 1024).toFixed(1)} KB each on average, ${UNIQUE_MESSAGES} distinct events from the simulator's generator, ` +
        `about half with a 512-number feature) pre-filled over ${PARTITIONS} partitions of the test broker. Ceilings in the same run: kafkajs consuming the topic ` +
        `with no sink (the writer's fetch settings, ${WRITER_PARTITIONS_CONCURRENTLY} partitions at a time), and the same rows inserted with @clickhouse/client in batches of ${INSERT_BATCH_ROWS} ` +
        'into another database. The writer, a process with its product settings, is timed from its first fetched message to its last inserted row.',
      header: ['run', 'rows/s', 'writer CPU', 'ClickHouse CPU', 'writer peak RSS'],
      rows: [
        ['kafkajs consume, no sink', recorder.figure('writer.ceiling.kafkajsConsume.rowsPerSecond', consumeRate, 'rows/s'), '', '', ''],
        ['direct insert, @clickhouse/client', recorder.figure('writer.ceiling.directInsert.rowsPerSecond', insertRate, 'rows/s'), '', '', ''],
        [
          'analytics writer',
          recorder.figure('writer.rowsPerSecond', writerRate, 'rows/s'),
          recorder.figure('writer.cores', drain.cores, 'cores', 2),
          recorder.figure('writer.clickhouseCores', drainAll['clickhouse']!.cores, 'cores', 2),
          recorder.figure('writer.peakRssMiB', drain.peakRssBytes / MiB, 'MiB', 0),
        ],
        ['writer ÷ slower ceiling', recorder.figure('writer.ratioToSlowerCeiling', ratio * 100, '%', 0), '', '', ''],
      ],
    });
    output.line(`writer: ${writerRate.toFixed(0)} rows/s (ceilings: consume ${consumeRate.toFixed(0)}, insert ${insertRate.toFixed(0)}), peak RSS ${formatMiB(drain.peakRssBytes)}`);

    await scalingCurve(settings, producer, unique, writer.pid, opsUrl, writerRate, total);
    return { peakRssBytes: drain.peakRssBytes };
  } finally {
    await writer?.stop();
    await producer.disconnect();
    await admin.close();
    await Promise.all([kafka.close(), clickhouse.close()]);
  }
}

/**
 * Runs of RUN_LENGTH messages to each partition in turn (not by key): every partition holds the
 * same share, under the broker's ~5 MB. Runs, because the test broker answers a fetch with one
 * produced batch per partition, where Kafka fills the fetch up to its byte limit: long runs give
 * the consumers the full fetches they would get from Kafka on a backlog.
 */
const RUN_LENGTH = 200;
async function produceEvenly(producer: Producer, messages: OutboundMessage[], firstIndex: number): Promise<void> {
  for (let at = 0; at < messages.length; at += 10 * RUN_LENGTH) {
    const chunk = messages.slice(at, at + 10 * RUN_LENGTH).map((message, i) => ({
      key: message.key,
      value: message.value,
      headers: message.headers,
      partition: Math.floor((firstIndex + at + i) / RUN_LENGTH) % PARTITIONS,
    }));
    await producer.send({ topic: TOPIC, acks: -1, messages: chunk });
  }
}

/** The writer's consumer settings (16 MiB per partition, 16 partitions at a time), and nothing done with the messages. */
async function consumeWithoutSink(client: Kafka, total: number): Promise<number> {
  const consumer = client.consumer({
    groupId: 'bench-ceiling',
    maxBytesPerPartition: 16 * MiB,
    maxBytes: 16 * MiB * WRITER_PARTITIONS_CONCURRENTLY,
    maxWaitTimeInMs: 500,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  let consumed = 0;
  let firstAt = 0;
  let lastAt = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: WRITER_PARTITIONS_CONCURRENTLY,
      eachBatch: async ({ batch }) => {
        firstAt ||= performance.now();
        consumed += batch.messages.length;
        lastAt = performance.now();
      },
    });
    await waitFor(() => consumed >= total, 'kafkajs to consume the topic', 120_000, 10);
  } finally {
    await consumer.disconnect();
  }
  return total / ((lastAt - firstAt) / 1000);
}

async function insertDirectly(clickhouse: ClickHouseClient, unique: OutboundMessage[], total: number): Promise<number> {
  const insertedAt = Date.now();
  const uniqueRows = unique.map((message, i) => historyEventRow(decodeHistoryEventMessage(message.value), { topic: TOPIC, partition: i % PARTITIONS, offset: i }, insertedAt));
  const rows: HistoryEventRow[] = Array.from({ length: total }, (_, i) => ({ ...uniqueRows[i % uniqueRows.length]!, kafka_offset: i }));
  const started = performance.now();
  for (let at = 0; at < rows.length; at += INSERT_BATCH_ROWS) {
    await clickhouse.insert({ table: 'bench_direct.history_events', values: rows.slice(at, at + INSERT_BATCH_ROWS), format: 'JSONEachRow' });
  }
  const rate = total / ((performance.now() - started) / 1000);
  // Dropped at once: its background merges would otherwise take ClickHouse's CPU from the writer's run.
  await clickhouse.command({ query: 'DROP DATABASE bench_direct' });
  return rate;
}

/** Messages produced at 1×, 4× and 16× a twentieth of the writer's rate while it runs: its CPU and memory at each. */
async function scalingCurve(settings: BenchSettings, producer: Producer, unique: OutboundMessage[], writerPid: number, opsUrl: string, maxRate: number, producedSoFar: number) {
  const { output, recorder } = settings;
  const base = maxRate / 20;
  const rows: string[][] = [];
  let produced = producedSoFar;
  for (const factor of [1, 4, 16]) {
    const rate = base * factor;
    output.line(`writer: ${factor}× load (${rate.toFixed(0)} rows/s offered)`);
    const durationMs = phaseMs(settings, 8, 1);
    const insertedBefore = await metricValue(opsUrl, 'analytics_rows_inserted_total');
    const phase = startPhase({ writer: writerPid });
    const started = performance.now();
    // Every 100 ms, the messages due by then.
    while (performance.now() - started < durationMs) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate) - (produced - producedSoFar);
      if (due > 0) {
        const messages = Array.from({ length: due }, (_, i) => unique[(produced + i) % unique.length]!);
        await produceEvenly(producer, messages, produced);
        produced += due;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor(async () => (await metricValue(opsUrl, 'analytics_rows_inserted_total')) >= produced, 'the writer to catch up', 60_000, 20);
    const { writer } = phase.end();
    const elapsed = durationMs / 1000; // rows produced in the window, inserted by the time the writer caught up
    const inserted = (await metricValue(opsUrl, 'analytics_rows_inserted_total')) - insertedBefore;
    producedSoFar = produced;
    const key = `writer.scaling.x${factor}`;
    rows.push([
      `${factor}×`,
      recorder.figure(`${key}.offeredRowsPerSecond`, rate, 'rows/s'),
      recorder.figure(`${key}.rowsPerSecond`, inserted / elapsed, 'rows/s'),
      recorder.figure(`${key}.cores`, writer!.cores, 'cores', 2),
      recorder.figure(`${key}.cpuMsPer1000Rows`, (writer!.cpuSeconds * 1e6) / Math.max(1, inserted), 'ms', 0),
      recorder.figure(`${key}.peakRssMiB`, writer!.peakRssBytes / MiB, 'MiB', 0),
    ]);
  }
  recorder.section({
    title: 'Analytics writer: how cost grows with load',
    method: 'history-events messages produced at a steady rate while the writer runs, at 1×, 4× and 16× a twentieth of its maximum rate above; each step until the writer has caught up.',
    header: ['load', 'offered', 'inserted', 'writer CPU', 'CPU per 1000 rows', 'writer peak RSS'],
    rows,
  });
}

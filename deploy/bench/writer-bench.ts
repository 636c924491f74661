/**
 * Analytics writer: rows/s from a pre-filled history-events topic into ClickHouse, against two
 * ceilings measured in the same run on the same messages: kafkajs consuming the topic with no sink
 * (the writer's consumer settings), and the same rows inserted straight with @clickhouse/client
 * (the writer's batch size, two inserts at a time as the writer sends them). Each of the three is
 * measured ROUNDS times, interleaved (ceilings, writer, ceilings, writer...), so that the
 * machine's other load falls on all of them alike; the
 * median is reported with its spread. Then the writer's cost at 1×, 4× and 16× a base rate.
 * Servers of its own from the test kit (the broker with 64 partitions: it keeps only ~5 MB per
 * partition, so the backlog is spread evenly, ~3 MB each, see produceEvenly); the writer is a
 * process of its own, a fresh one (new consumer group, new database) per round.
 */
import type { Kafka, Producer } from 'kafkajs';
import { migrate, type ClickHouseClient } from '@sophon/clickhouse';
import { decodeHistoryEventMessage, type OutboundMessage } from '@sophon/event-contract';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { fetchMetrics, freePort, metricSum, metricValue, startClickHouse, startKafka, waitFor, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { clickhouseClient } from '../local/clients.js';
// The writer's own mapping, so the direct insert sends exactly the rows the writer would.
import { historyEventRow, type HistoryEventRow } from '../../services/analytics-writer/src/history-event-row.js';
import { startService, type BenchProcess } from './child-processes.js';
import { historyEventMessages } from './history-messages.js';
import { childPid, startPhase } from './process-stats.js';
import { formatMiB, MiB, phaseMs, type BenchSettings } from './settings.js';
import type { ResultsRecorder } from './results.js';

const TOPIC = 'history-events';
const PARTITIONS = 64;
const INSERT_BATCH_ROWS = 10_000; // ANALYTICS_BATCH_ROWS' default
const INSERTS_IN_FLIGHT = 2; // ANALYTICS_INSERTS_IN_FLIGHT's default
const UNIQUE_MESSAGES = 6_000;
const WRITER_PARTITIONS_CONCURRENTLY = 16; // the writer's default CONSUMER_PARTITIONS_CONCURRENTLY
const TARGET_RATIO = 0.8;
/** Rounds of the three measurements in a full run; --quick measures each once. */
const ROUNDS = 5;
/**
 * How often the writer's /metrics is read while it drains: a scrape costs it ~5 ms of CPU
 * (prom-client's default metrics), ~10 % of its CPU at 10 a second, which a Prometheus scraping
 * every 15 s does not take. So once a second, and the end is the time of its last insert
 * (analytics_last_insert_timestamp_seconds), not a time between two scrapes.
 */
const POLL_MS = 1000;
/** How often the scaling curve reads the writer's /metrics while it catches up. */
const CATCH_UP_POLL_MS = 100;
const logger = createLogger({ service: 'bench', level: 'silent' });

interface WriterRound {
  rowsPerSecond: number;
  cores: number;
  cpuMsPer1000Rows: number;
  clickhouseCores: number;
  peakRssBytes: number;
}

export async function benchmarkWriter(settings: BenchSettings): Promise<{ peakRssBytes: number }> {
  const { output, recorder } = settings;
  const total = settings.quick ? 2_000 : 48_000;
  const rounds = settings.quick ? 1 : ROUNDS;
  output.line(`writer: ${total} history-events messages over ${PARTITIONS} partitions, ${rounds} round(s)`);
  const [kafka, clickhouse] = await Promise.all([startKafka({ topics: { [TOPIC]: PARTITIONS, 'pipeline-dead-letter': 1 } }), startClickHouse()]);
  const admin = clickhouseClient(clickhouse);
  // A bare kafkajs consumer is the ceiling measured below, made by the product's client factory.
  const client = createKafkaClient({ brokers: kafka.brokers, clientId: 'bench' }, logger);
  const producer = client.producer();
  let writer: BenchProcess | undefined;
  try {
    const unique = historyEventMessages(Math.min(UNIQUE_MESSAGES, total));
    const messages = Array.from({ length: total }, (_, i) => unique[i % unique.length]!);
    const bytes = messages.reduce((sum, message) => sum + message.value.length, 0);
    await producer.connect();
    await produceEvenly(producer, messages, 0, Math.ceil(total / PARTITIONS));

    // ClickHouse's first inserts (and this process's JIT) are slower: one unmeasured insert first.
    if (!settings.quick) await insertDirectly(admin, unique, unique.length);

    const consumeRates: number[] = [];
    const insertRates: number[] = [];
    const writerRounds: WriterRound[] = [];
    let opsUrl = '';
    for (let round = 1; round <= rounds; round++) {
      // Ceiling 1: the same topic consumed by kafkajs with no sink.
      consumeRates.push(await consumeWithoutSink(client, total, `bench-ceiling-${round}`));
      // Ceiling 2: the same rows inserted straight into ClickHouse.
      insertRates.push(await insertDirectly(admin, unique, total));
      // The writer, a fresh process reading the topic from the start into a database of its own;
      // the last one stays for the scaling curve.
      await writer?.stop();
      const started = await drainWithWriter(kafka, clickhouse, admin, total, round);
      writer = started.writer;
      opsUrl = started.opsUrl;
      writerRounds.push(started.measured);
      const { rowsPerSecond } = started.measured;
      output.line(`writer: round ${round}: ${rowsPerSecond.toFixed(0)} rows/s (ceilings: consume ${consumeRates.at(-1)!.toFixed(0)}, insert ${insertRates.at(-1)!.toFixed(0)})`);
    }

    const ratios = writerRounds.map((measured, i) => measured.rowsPerSecond / Math.min(consumeRates[i]!, insertRates[i]!));
    const ratio = median(ratios);
    const peakRssBytes = Math.max(...writerRounds.map((measured) => measured.peakRssBytes));
    const writerRates = writerRounds.map((measured) => measured.rowsPerSecond);
    const spread = spreadOf(recorder);
    recorder.target('analytics writer: rows/s vs the slower ceiling (median of rounds)', ratio * 100, '>=', TARGET_RATIO * 100, '%');
    recorder.section({
      title: 'Analytics writer: history-events → ClickHouse',
      method:
        `${total} history-events messages (${(bytes / total / 1024).toFixed(1)} KB each on average, ${UNIQUE_MESSAGES} distinct events from the simulator's generator, ` +
        `about half with a 512-number feature) pre-filled over ${PARTITIONS} partitions of the test broker, each partition's share as one batch ` +
        '(the test broker answers a fetch with one produced batch per partition; Kafka answers a consumer of a backlog with up to 16 MiB a partition). ' +
        'Ceilings in the same run: kafkajs consuming the topic ' +
        `with no sink (the writer's fetch settings, ${WRITER_PARTITIONS_CONCURRENTLY} partitions at a time), and the same rows inserted with @clickhouse/client in batches of ${INSERT_BATCH_ROWS}, ${INSERTS_IN_FLIGHT} at a time as the writer sends them, ` +
        'into another database. The writer, a process with its product settings, is timed from its first fetched message to its last inserted row (its analytics_last_insert_timestamp_seconds: its /metrics is read once a second, as a scrape at 10 a second took ~10 % of its CPU), ' +
        'as kafkajs is (with the backlog in one fetch, the consume ceiling is how fast kafkajs hands over what it fetched). ' +
        `${rounds} round${rounds === 1 ? '' : 's'}, each measuring the two ceilings and then a fresh writer (new consumer group, new database): medians, with the lowest and highest round; ` +
        'the ratio is that of each round (writer ÷ the slower ceiling of the same round).',
      header: ['run', `rows/s, median of ${rounds}`, 'lowest–highest', 'writer CPU', 'writer CPU per 1000 rows', 'ClickHouse CPU', 'writer peak RSS'],
      rows: [
        ['kafkajs consume, no sink', recorder.figure('writer.ceiling.kafkajsConsume.rowsPerSecond', median(consumeRates), 'rows/s'), spread('writer.ceiling.kafkajsConsume.rowsPerSecond', consumeRates, 'rows/s'), '', '', '', ''],
        [`direct insert, @clickhouse/client, ${INSERTS_IN_FLIGHT} at a time`, recorder.figure('writer.ceiling.directInsert.rowsPerSecond', median(insertRates), 'rows/s'), spread('writer.ceiling.directInsert.rowsPerSecond', insertRates, 'rows/s'), '', '', '', ''],
        [
          'analytics writer',
          recorder.figure('writer.rowsPerSecond', median(writerRates), 'rows/s'),
          spread('writer.rowsPerSecond', writerRates, 'rows/s'),
          recorder.figure('writer.cores', median(writerRounds.map((measured) => measured.cores)), 'cores', 2),
          recorder.figure('writer.cpuMsPer1000Rows', median(writerRounds.map((measured) => measured.cpuMsPer1000Rows)), 'ms', 0),
          recorder.figure('writer.clickhouseCores', median(writerRounds.map((measured) => measured.clickhouseCores)), 'cores', 2),
          recorder.figure('writer.peakRssMiB', peakRssBytes / MiB, 'MiB', 0),
        ],
        ['writer ÷ slower ceiling', recorder.figure('writer.ratioToSlowerCeiling', ratio * 100, '%', 0), spread('writer.ratioToSlowerCeiling', ratios.map((r) => r * 100), '%'), '', '', '', ''],
      ],
    });
    output.line(
      `writer: median ${median(writerRates).toFixed(0)} rows/s (ceilings: consume ${median(consumeRates).toFixed(0)}, insert ${median(insertRates).toFixed(0)}), ` +
        `${(ratio * 100).toFixed(0)} % of the slower (rounds ${ratios.map((r) => (r * 100).toFixed(0)).join(', ')} %), peak RSS ${formatMiB(peakRssBytes)}`,
    );

    await scalingCurve(settings, producer, unique, writer!.pid, opsUrl, median(writerRates), total);
    return { peakRssBytes };
  } finally {
    await writer?.stop();
    await producer.disconnect();
    await admin.close();
    await Promise.all([kafka.close(), clickhouse.close()]);
  }
}

/**
 * A writer process reading the whole topic (its own consumer group) into a database of its own,
 * timed from its first fetched message to its last inserted row. The previous round's database is
 * dropped first: its background merges would otherwise take ClickHouse's CPU from this round.
 */
async function drainWithWriter(kafka: KafkaServer, clickhouse: ClickHouseServer, admin: ClickHouseClient, total: number, round: number) {
  if (round > 1) await admin.command({ query: `DROP DATABASE IF EXISTS ${writerDatabase(round - 1)}` });
  const database = writerDatabase(round);
  await migrate({ client: admin, database, logger });
  const opsPort = await freePort();
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const writer = await startService(
    'analytics-writer',
    {
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: database,
      CONSUMER_GROUP_ID: `analytics-writer-${round}`,
      ANALYTICS_MIGRATE_ON_START: 'false',
      OPS_HOST: '127.0.0.1',
      OPS_PORT: String(opsPort),
      LOG_LEVEL: 'warn',
    },
    opsUrl,
  );
  const started = await timeWhenMetricReaches(opsUrl, 'consumer_messages_consumed_total', 1, 'the writer to fetch', 10);
  const phase = startPhase({ writer: writer.pid, clickhouse: childPid('clickhouse-server') });
  await timeWhenMetricReaches(opsUrl, 'analytics_rows_inserted_total', total, 'every row inserted', POLL_MS);
  // Its last insert, as a performance.now() of this process (both clocks are the machine's).
  const ended = (await metricValue(opsUrl, 'analytics_last_insert_timestamp_seconds')) * 1000 - performance.timeOrigin;
  const { writer: drain, clickhouse: clickhouseDrain } = phase.end();
  // CPU per second of the drain itself. The phase ends up to a scrape interval later: the writer
  // is idle by then, but ClickHouse's merges in that tail are counted (its cores read a little high).
  const seconds = (ended - started) / 1000;
  const measured: WriterRound = {
    rowsPerSecond: total / seconds,
    cores: drain!.cpuSeconds / seconds,
    cpuMsPer1000Rows: (drain!.cpuSeconds * 1e6) / total,
    clickhouseCores: clickhouseDrain!.cpuSeconds / seconds,
    peakRssBytes: drain!.peakRssBytes,
  };
  return { writer, opsUrl, measured };
}

const writerDatabase = (round: number) => `sophon_writer_${round}`;

/** When `metric` reached `count`: halfway between the last scrape below it and the first at it (performance.now()). */
async function timeWhenMetricReaches(opsUrl: string, metric: string, count: number, what: string, intervalMs: number): Promise<number> {
  let below = performance.now();
  let reached = 0;
  await waitFor(
    async () => {
      const scraped = performance.now();
      if (metricSum(await fetchMetrics(opsUrl), metric) < count) {
        below = scraped;
        return false;
      }
      reached = scraped;
      return true;
    },
    what,
    120_000,
    intervalMs,
  );
  return (below + reached) / 2;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Records the lowest and highest of `values` as `${key}.min` / `.max`; "lowest–highest unit" for the table. */
const spreadOf = (recorder: ResultsRecorder) => (key: string, values: readonly number[], unit: string): string => {
  const [lowest, highest] = [Math.min(...values), Math.max(...values)];
  recorder.figure(`${key}.min`, lowest, unit);
  recorder.figure(`${key}.max`, highest, unit);
  return `${lowest.toFixed(0)}–${highest.toFixed(0)} ${unit}`;
};

/**
 * Runs of `runLength` messages to each partition in turn (not by key): every partition holds the
 * same share, under the broker's ~5 MB. Runs, because the test broker answers a fetch with one
 * produced batch per partition, where Kafka fills the fetch up to its byte limit (16 MiB per
 * partition for the writer). The backlog goes to each partition as one run: the one fetch per
 * partition Kafka would answer a consumer of that backlog with. (In runs of 200, as before, a
 * fetch held 64 × 200 rows, and the writer waits for a fetch's batches to be stored before kafkajs
 * fetches again, which capped its inserts at 16 × 200 rows, where ClickHouse 18.16 pays a part of
 * ~100 files per insert, and put a fetch between every 12 800 rows: below 80 % of the direct
 * insert whatever the writer did.)
 */
const STEADY_RUN_LENGTH = 200;
const MESSAGES_PER_SEND = 2_000;
async function produceEvenly(producer: Producer, messages: OutboundMessage[], firstIndex: number, runLength = STEADY_RUN_LENGTH): Promise<void> {
  const perSend = Math.max(1, Math.floor(MESSAGES_PER_SEND / runLength)) * runLength;
  for (let at = 0; at < messages.length; at += perSend) {
    const chunk = messages.slice(at, at + perSend).map((message, i) => ({
      key: message.key,
      value: message.value,
      headers: message.headers,
      partition: Math.floor((firstIndex + at + i) / runLength) % PARTITIONS,
    }));
    await producer.send({ topic: TOPIC, acks: -1, messages: chunk });
  }
}

/** The writer's consumer settings (16 MiB per partition, 16 partitions at a time), and nothing done with the messages. */
async function consumeWithoutSink(client: Kafka, total: number, groupId: string): Promise<number> {
  const consumer = client.consumer({
    groupId,
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
  await migrate({ client: clickhouse, database: 'bench_direct', logger });
  const insertedAt = Date.now();
  const uniqueRows = unique.map((message, i) => historyEventRow(decodeHistoryEventMessage(message.value), { topic: TOPIC, partition: i % PARTITIONS, offset: i }, insertedAt));
  const rows: HistoryEventRow[] = Array.from({ length: total }, (_, i) => ({ ...uniqueRows[i % uniqueRows.length]!, kafka_offset: i }));
  const started = performance.now();
  // The writer's inserts at once, each taking the next batch.
  let next = 0;
  const inserter = async () => {
    for (let at = next; at < rows.length; at = next) {
      next += INSERT_BATCH_ROWS;
      await clickhouse.insert({ table: 'bench_direct.history_events', values: rows.slice(at, at + INSERT_BATCH_ROWS), format: 'JSONEachRow' });
    }
  };
  await Promise.all(Array.from({ length: INSERTS_IN_FLIGHT }, inserter));
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
    await waitFor(async () => (await metricValue(opsUrl, 'analytics_rows_inserted_total')) >= produced, 'the writer to catch up', 60_000, CATCH_UP_POLL_MS);
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
    method:
      'history-events messages produced at a steady rate while the writer runs, at 1×, 4× and 16× a twentieth of its maximum rate above; each step until the writer has caught up. ' +
      "The writer is the last round's process: its peak RSS at the lower loads is mostly the heap its drain of the pre-filled topic left (V8 gives it back slowly), not what the load needs.",
    header: ['load', 'offered', 'inserted', 'writer CPU', 'CPU per 1000 rows', 'writer peak RSS'],
    rows,
  });
}

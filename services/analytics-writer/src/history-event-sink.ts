import { setImmediate } from 'node:timers/promises';
import { describeClickHouseError, insertIsolatingRefusedRows, insertJsonLines, type ClickHouseClient } from '@sophon/clickhouse';
import { decodeHistoryEventMessageKeepingFeatureJson } from '@sophon/event-contract';
import { PermanentError, type ConsumedMessage, type MessageSink, type SinkContext, type SinkResult } from '@sophon/kafka';
import { Counter, Gauge, Histogram, type Registry } from '@sophon/ops-http';
import { historyEventRowLine } from './history-event-row.js';
import { RowBatcher } from './row-batcher.js';

export interface HistoryEventSinkOptions {
  client: ClickHouseClient;
  database: string;
  maxRows: number;
  maxWaitMs: number;
  /** Partition batches the consumer hands over at once (CONSUMER_PARTITIONS_CONCURRENTLY). */
  concurrentBatches: number;
  /** Inserts under way at once (ANALYTICS_INSERTS_IN_FLIGHT). */
  insertsInFlight: number;
  registry: Registry;
}

/**
 * history-events messages -> rows of `history_events`. A message that is not a valid
 * HistoryEventMessage is dead-lettered; the rest are inserted in large batches. Duplicates
 * (replays, device retries) are harmless: the table collapses rows by event_id.
 */
export function createHistoryEventSink(options: HistoryEventSinkOptions): MessageSink & { flush(): Promise<void> } {
  const registers = [options.registry];
  const rowsInserted = new Counter({ name: 'analytics_rows_inserted_total', help: 'Rows inserted into history_events', registers });
  const insertSeconds = new Histogram({
    name: 'analytics_insert_duration_seconds',
    help: 'Duration of one ClickHouse insert',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const halfOfConcurrentBatches = Math.max(1, Math.floor(options.concurrentBatches / 2));
  const table = { database: options.database, table: 'history_events' };
  // Rows wait as their JSON lines: serialised once, and lighter than row objects with 512-number arrays.
  const insertsSent = new Counter({
    name: 'analytics_inserts_sent_total',
    help: 'Inserts sent into history_events, by what sent them: rows (ANALYTICS_BATCH_ROWS), company (half the concurrent batches waiting), all-waiting, timer, flush (shutdown)',
    labelNames: ['reason'],
    registers,
  });
  const rowsRefused = new Counter({ name: 'analytics_rows_refused_total', help: 'Rows ClickHouse refused for their data (dead-lettered)', registers });
  // For an alert on a writer that stopped storing (time() minus it), and for timing a drain exactly.
  const lastInsertAt = new Gauge({ name: 'analytics_last_insert_timestamp_seconds', help: 'When the last insert into history_events succeeded (Unix time)', registers });
  const insertLines = async (lines: string[]) => {
    const end = insertSeconds.startTimer();
    await insertJsonLines(options.client, table, lines);
    end();
    lastInsertAt.setToCurrentTime();
    rowsInserted.inc(lines.length);
  };
  const batcher = new RowBatcher<string>(
    async (lines) => {
      // Rows of every partition share the insert: a row ClickHouse cannot read is split out and
      // refused alone, so it holds up neither its neighbours nor the other partitions.
      const refused = await insertIsolatingRefusedRows(insertLines, lines);
      rowsRefused.inc(refused.length);
      return refused;
    },
    {
      maxRows: options.maxRows,
      intervalMs: options.maxWaitMs,
      // Half of the concurrent batches waiting sends the insert: they would otherwise wait for the
      // timer while the consumer idles, and the other half is read and decoded meanwhile, so
      // ClickHouse and the decoding work at the same time instead of in turn.
      enoughWaiting: (waiting) => waiting >= halfOfConcurrentBatches,
      onSend: (reason) => insertsSent.inc({ reason }),
      maxInFlight: options.insertsInFlight,
    },
  );

  return {
    handleBatch: (messages, context) => store(messages, context),
    flush: () => batcher.flush(),
  };

  /** Rows for the messages, stored (resolved) with the insert that carries them; unstorable messages rejected. */
  async function store(messages: ConsumedMessage[], context: SinkContext): Promise<SinkResult> {
    // kafkajs hands the batches of a fetch to the runner back to back, in promise callbacks, and a
    // batch takes tens of ms to decode: without a turn of the event loop between them, an insert
    // made ready by one batch would not reach the socket until every other batch under way had
    // been decoded, leaving ClickHouse idle meanwhile.
    await setImmediate();
    const rows: string[] = [];
    const rowMessages: ConsumedMessage[] = [];
    const rejected: { message: ConsumedMessage; error: unknown }[] = [];
    const insertedAt = Date.now();
    for (const message of messages) {
      try {
        // The line carries every column (18.16 zero-fills a missing field instead of using its DEFAULT).
        rows.push(historyEventRowLine(decodeHistoryEventMessageKeepingFeatureJson(message.value), message, insertedAt));
        rowMessages.push(message);
      } catch (error) {
        rejected.push({ message, error: new PermanentError(`not a storable history event: ${(error as Error).message}`, { cause: error }) });
      }
    }
    for (const { index, error } of await batcher.add(rows, context.batchesInSink())) {
      rejected.push({ message: rowMessages[index]!, error: new PermanentError(`ClickHouse refused the row: ${describeClickHouseError(error)}`, { cause: error }) });
    }
    return { rejected };
  }
}

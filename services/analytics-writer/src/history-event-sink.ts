import { historyEventRow, insertRows, type ClickHouseClient, type HistoryEventRow } from '@sophon/clickhouse';
import { decodeHistoryEventMessage } from '@sophon/event-contract';
import { PermanentError, type ConsumedMessage, type MessageSink } from '@sophon/kafka';
import { Counter, Histogram, type Registry } from '@sophon/ops-http';
import { RowBatcher } from './row-batcher.js';

export interface HistoryEventSinkOptions {
  client: ClickHouseClient;
  database: string;
  maxRows: number;
  maxWaitMs: number;
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
  const batcher = new RowBatcher<HistoryEventRow>(
    async (rows) => {
      const end = insertSeconds.startTimer();
      await insertRows(options.client, { database: options.database, table: 'history_events' }, rows);
      end();
      rowsInserted.inc(rows.length);
    },
    options.maxRows,
    options.maxWaitMs,
  );

  return {
    async handleBatch(messages) {
      const rows: HistoryEventRow[] = [];
      const rejected: { message: ConsumedMessage; error: unknown }[] = [];
      const insertedAt = Date.now();
      for (const message of messages) {
        try {
          rows.push(historyEventRow(decodeHistoryEventMessage(message.value), message, insertedAt));
        } catch (error) {
          rejected.push({ message, error: new PermanentError(`not a storable history event: ${(error as Error).message}`, { cause: error }) });
        }
      }
      await batcher.add(rows);
      return { rejected };
    },
    flush: () => batcher.flush(),
  };
}

/**
 * Event posted → row queryable, for the benchmarks that run the whole stack: the load generator
 * reports each accepted event id with when it was due, and ClickHouse is polled for the new rows
 * meanwhile. Each row also tells when the gateway received the event (received_at_ms) and when
 * the analytics writer got it from Kafka (inserted_at_ms), so the latency splits into its stages.
 */
import type { ClickHouseClient } from '@sophon/clickhouse';
import { LatencyRecorder, type LatencySummary } from '@sophon/device-simulator';
import { waitFor } from '@sophon/test-kit';

export const POLL_MS = 50;

/** Rows may land out of order (partitions are inserted apart): this long behind the oldest event still missing is searched too. */
const SEARCH_MARGIN_MS = 1000;
/** An event whose answer has not come back yet may be this old, and its row already queryable. */
const IN_FLIGHT_MS = 5000;

interface Row {
  seenAt: number;
  receivedAtMs: number;
  insertedAtMs: number;
}

/** Percentiles of each stage of posted → queryable, in ms (clocks of one machine). */
export interface QueryableLatency {
  /** Posted (due) until the row was found: the figure. */
  total: LatencySummary;
  /** Due until the gateway received it (the load generator's queue and the HTTP request). */
  toGateway: LatencySummary;
  /** Gateway received until the writer had it from Kafka: publish (acks=all), answer, the consumer's fetch. */
  throughKafka: LatencySummary;
  /** Writer had it until the row was found: its batching wait, the insert, and up to one poll. */
  intoClickHouse: LatencySummary;
}

export interface QueryableWatch {
  /** For runLoad's onAnswer: an accepted single event is tracked from when it was due. */
  onAnswer(answer: { status: number; body: string; dueAt: number }): void;
  readonly postedCount: number;
  /** Resolves once every accepted event's row was found; throws after `timeoutMs`, with what is missing. */
  allQueryable(timeoutMs: number): Promise<void>;
  /** Forgets the events tracked so far (a new step of a benchmark); rows keep being polled. */
  reset(): void;
  latency(): QueryableLatency;
  stop(): Promise<void>;
}

/** Polls `history_events` every POLL_MS until stopped. */
export function watchQueryable(clickhouse: ClickHouseClient): QueryableWatch {
  const posted = new Map<string, number>();
  const seen = new Map<string, Row>();
  const pollErrors: Error[] = [];
  const wallClock = (at: number) => performance.timeOrigin + at;
  let polling = true;

  // Only recent rows are read: from a second before the oldest event still missing (or still in flight).
  const searchFromMs = () => {
    let oldest = Date.now() - IN_FLIGHT_MS;
    for (const [id, dueAt] of posted) if (!seen.has(id)) oldest = Math.min(oldest, wallClock(dueAt));
    return Math.floor(oldest - SEARCH_MARGIN_MS);
  };

  const poller = (async () => {
    while (polling) {
      try {
        const result = await clickhouse.query({
          query: `SELECT event_id, received_at_ms, inserted_at_ms FROM history_events WHERE received_at_ms >= ${searchFromMs()}`,
          format: 'JSONEachRow',
        });
        const rows = await result.json<{ event_id: string; received_at_ms: string | number; inserted_at_ms: string | number }>();
        const now = performance.now();
        for (const row of rows) {
          if (!seen.has(row.event_id)) seen.set(row.event_id, { seenAt: now, receivedAtMs: Number(row.received_at_ms), insertedAtMs: Number(row.inserted_at_ms) });
        }
      } catch (error) {
        pollErrors.push(error as Error); // counted against the run by allQueryable if it lasts
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  const missing = () => [...posted.keys()].filter((id) => !seen.has(id)).length;

  return {
    onAnswer({ status, body, dueAt }) {
      if (status === 200) posted.set((JSON.parse(body) as { data: { event_id: string } }).data.event_id, dueAt);
    },
    get postedCount() {
      return posted.size;
    },
    async allQueryable(timeoutMs) {
      try {
        await waitFor(() => missing() === 0, 'every posted event queryable in ClickHouse', timeoutMs, POLL_MS);
      } catch (error) {
        const last = pollErrors.at(-1);
        throw new Error(`${(error as Error).message}: ${missing()} of ${posted.size} missing; ${pollErrors.length} polls failed${last ? ` (last: ${last.message})` : ''}`);
      }
    },
    reset() {
      posted.clear();
    },
    latency() {
      const stages = { total: new LatencyRecorder(), toGateway: new LatencyRecorder(), throughKafka: new LatencyRecorder(), intoClickHouse: new LatencyRecorder() };
      for (const [id, dueAt] of posted) {
        const row = seen.get(id);
        if (!row) continue;
        stages.total.record(row.seenAt - dueAt);
        stages.toGateway.record(row.receivedAtMs - wallClock(dueAt));
        stages.throughKafka.record(row.insertedAtMs - row.receivedAtMs);
        stages.intoClickHouse.record(wallClock(row.seenAt) - row.insertedAtMs);
      }
      return {
        total: stages.total.summary(),
        toGateway: stages.toGateway.summary(),
        throughKafka: stages.throughKafka.summary(),
        intoClickHouse: stages.intoClickHouse.summary(),
      };
    },
    async stop() {
      polling = false;
      await poller;
    },
  };
}

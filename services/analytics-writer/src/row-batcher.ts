import type { RefusedRow } from '@sophon/clickhouse';

/**
 * Gathers rows from the batches of several partitions (handled concurrently by the consumer
 * runner) into one insert, sent when `maxRows` are waiting, when `enoughWaiting(callers waiting)`
 * says so (e.g. every batch the consumer is handling is waiting: no one else can add rows, and
 * waiting longer only idles it), or when the oldest has waited `maxWaitMs`. Each caller's promise
 * settles with the insert that carried its rows, so the runner commits a batch only once its rows
 * are stored, and retries it if that insert failed. The insert may refuse single rows for their
 * data and store the rest: each caller then hears of its own refused rows only, so one bad row
 * holds up neither the other rows of its batch nor other partitions.
 */
export class RowBatcher<Row> {
  private rows: Row[] = [];
  private waiters: { from: number; to: number; resolve: (refused: RefusedRow[]) => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly insert: (rows: Row[]) => Promise<RefusedRow[] | void>,
    private readonly maxRows: number,
    private readonly maxWaitMs: number,
    private readonly enoughWaiting: (callers: number) => boolean = () => false,
  ) {}

  /** Resolves once the rows are stored, with those refused (indices into `rows`). */
  add(rows: Row[]): Promise<RefusedRow[]> {
    if (rows.length === 0) return Promise.resolve([]);
    const from = this.rows.length;
    const stored = new Promise<RefusedRow[]>((resolve, reject) => this.waiters.push({ from, to: from + rows.length, resolve, reject }));
    this.rows.push(...rows);
    if (this.rows.length >= this.maxRows || this.enoughWaiting(this.waiters.length)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.maxWaitMs);
    return stored;
  }

  /** Sends what is waiting now; resolves when every insert sent so far has settled. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.rows.length > 0) {
      const rows = this.rows;
      const waiters = this.waiters;
      this.rows = [];
      this.waiters = [];
      // One insert at a time: ClickHouse prefers few large inserts, and order is kept.
      this.flushing = this.flushing.then(() =>
        this.insert(rows).then(
          (refused) => {
            for (const waiter of waiters) {
              const own = (refused ?? []).filter(({ index }) => index >= waiter.from && index < waiter.to);
              waiter.resolve(own.map(({ index, error }) => ({ index: index - waiter.from, error })));
            }
          },
          (error: unknown) => waiters.forEach((w) => w.reject(error)),
        ),
      );
    }
    return this.flushing;
  }
}

import { performance } from 'node:perf_hooks';
import type { RefusedRow } from '@sophon/clickhouse';

/** Why an insert was sent (a label of the writer's insert counter). */
export type SendReason = 'rows' | 'company' | 'all-waiting' | 'timer' | 'flush';

export interface RowBatcherSettings {
  maxRows: number;
  intervalMs: number;
  /** Whether this many callers waiting is enough to send (default: never). */
  enoughWaiting?: (callers: number) => boolean;
  /** Told of every insert sent, with its rows. */
  onSend?: (reason: SendReason, rows: number) => void;
  now?: () => number;
}

/**
 * Gathers rows from the batches of several partitions (handled concurrently by the consumer
 * runner) into one insert. An insert is sent:
 * - when `maxRows` are waiting, or when `enoughWaiting(callers waiting)` says so (e.g. half of
 *   the batches the consumer handles at once: the other half is decoded meanwhile);
 * - when every batch the consumer holds is waiting, here or in an insert under way (see `add`):
 *   nothing can join them until one is answered, so they go once the previous insert is
 *   `intervalMs` old, at once at a low rate;
 * - otherwise when the oldest row has waited `intervalMs`.
 * So at a trickle there is at most one insert per `intervalMs` and no row waits longer than that.
 * Each caller's promise settles with the insert that carried its rows, so the runner commits a
 * batch only once its rows are stored, and retries it if that insert failed. The insert may refuse
 * single rows for their data and store the rest: each caller then hears of its own refused rows
 * only, so one bad row holds up neither the other rows of its batch nor other partitions.
 */
export class RowBatcher<Row> {
  private rows: Row[] = [];
  private waiters: { from: number; to: number; resolve: (refused: RefusedRow[]) => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private timerReason: SendReason = 'timer';
  private readonly now: () => number;
  /** Counted from the start, so that a writer that just started gathers its first fetch's rows too. */
  private lastSentAt: number;
  private flushing: Promise<void> = Promise.resolve();
  /** Callers whose rows are in an insert sent and not yet settled: they add nothing more either. */
  private callersSent = 0;

  constructor(
    private readonly insert: (rows: Row[]) => Promise<RefusedRow[] | void>,
    private readonly settings: RowBatcherSettings,
  ) {
    this.now = settings.now ?? (() => performance.now());
    this.lastSentAt = this.now();
  }

  /**
   * Resolves once the rows are stored, with those refused (indices into `rows`). `batchesInHand`:
   * how many batches, this one included, may add rows before any of them is answered (unknown:
   * the rows wait for the timer or for company).
   */
  add(rows: Row[], batchesInHand = Infinity): Promise<RefusedRow[]> {
    if (rows.length === 0) return Promise.resolve([]);
    const from = this.rows.length;
    const stored = new Promise<RefusedRow[]>((resolve, reject) => this.waiters.push({ from, to: from + rows.length, resolve, reject }));
    this.rows.push(...rows);
    const { maxRows, intervalMs, enoughWaiting } = this.settings;
    if (this.rows.length >= maxRows) this.send('rows');
    else if (enoughWaiting?.(this.waiters.length)) this.send('company');
    else if (this.waiters.length + this.callersSent >= batchesInHand) this.sendBy(this.lastSentAt + intervalMs, 'all-waiting');
    else this.sendBy(this.now() + intervalMs, 'timer');
    return stored;
  }

  /** Sends what is waiting now; resolves when every insert sent so far has settled. */
  flush(): Promise<void> {
    return this.send('flush');
  }

  private send(reason: SendReason): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
    if (this.rows.length > 0) {
      const rows = this.rows;
      const waiters = this.waiters;
      this.rows = [];
      this.waiters = [];
      this.lastSentAt = this.now();
      this.settings.onSend?.(reason, rows.length);
      this.callersSent += waiters.length;
      const settled = () => (this.callersSent -= waiters.length);
      // One insert at a time: ClickHouse prefers few large inserts, and order is kept.
      this.flushing = this.flushing.then(() =>
        this.insert(rows).then(
          (refused) => {
            settled();
            for (const waiter of waiters) {
              const own = (refused ?? []).filter(({ index }) => index >= waiter.from && index < waiter.to);
              waiter.resolve(own.map(({ index, error }) => ({ index: index - waiter.from, error })));
            }
          },
          (error: unknown) => {
            settled();
            waiters.forEach((w) => w.reject(error));
          },
        ),
      );
    }
    return this.flushing;
  }

  /** Sends at `dueAt` at the latest (at once if that is past). */
  private sendBy(dueAt: number, reason: SendReason): void {
    const inMs = dueAt - this.now();
    if (inMs <= 0) {
      void this.send(reason);
      return;
    }
    if (dueAt >= this.timerDueAt) return;
    clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timerReason = reason;
    this.timer = setTimeout(() => void this.send(this.timerReason), inMs);
  }
}

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
  /** Inserts under way at once (default 1); more wait their turn, in the order they were sent. */
  maxInFlight?: number;
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
 * Up to `maxInFlight` inserts are under way at once; one sent beyond that waits for one to end.
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
  /** Inserts sent and not yet settled (a flush waits for them all). */
  private readonly unsettled = new Set<Promise<void>>();
  private inFlight = 0;
  /** Inserts waiting for one under way to end, each told when it may go. */
  private readonly turns: (() => void)[] = [];
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
      // A few large inserts at a time (ClickHouse prefers few large inserts to many small ones).
      // A partition's next batch comes only once its last is stored, so no partition has rows in
      // two inserts: their order does not matter.
      const done: Promise<void> = this.turn()
        .then(() => this.insert(rows))
        .then(
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
        )
        .finally(() => {
          this.unsettled.delete(done);
          this.endTurn();
        });
      this.unsettled.add(done);
    }
    return Promise.all(this.unsettled).then(() => undefined);
  }

  /** Resolves when an insert may start: at once while fewer than maxInFlight are under way. */
  private turn(): Promise<void> {
    if (this.inFlight < (this.settings.maxInFlight ?? 1)) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.turns.push(resolve));
  }

  /** An insert ended: the next one waiting takes its place. */
  private endTurn(): void {
    const next = this.turns.shift();
    if (next) next();
    else this.inFlight--;
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

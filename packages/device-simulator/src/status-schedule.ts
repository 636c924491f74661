import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatedDevice } from './devices.js';
import { runLoad } from './load-engine.js';
import type { Random } from './random.js';
import { devicePath, type RequestSource } from './request-source.js';
import { createStatusReportGenerator, DEFAULT_STATUS_PATH } from './status-reports.js';

export interface StatusScheduleOptions {
  /** The gateway's origin. */
  url: string;
  /** Where reports are posted (default /DeviceStatus), each box's token added. */
  path?: string;
  devices: SimulatedDevice[];
  /** Boxes whose first report is the last thing they send (they post no events either). */
  silent: readonly SimulatedDevice[];
  intervalMs: number;
  random: Random;
  concurrency: number;
  maxAttempts: number;
  retryCapMs: number;
  signal?: AbortSignal;
  /** The pause between rounds (tests pass their own; it must end early when `signal` aborts). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface StatusSummary {
  /** Rounds in which reports were sent: the first from every box, later ones from the boxes not silent. */
  rounds: number;
  sent: number;
  accepted: number;
  /** Refused for good (4xx) or quarantined. */
  rejected: number;
  /** Given up after maxAttempts, or still waiting for a retry when the run ended. */
  lost: number;
  silentBoxes: string[];
}

const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * Every box's status report on a schedule, beside the events: a round at once (every box, the
 * silent ones included, so the registry knows them) and then one every `intervalMs` from the boxes
 * that did not go silent, until stop(). A round is a load run of one report per box, so reports
 * are retried on 503/429 as events are.
 */
export function startStatusReports(options: StatusScheduleOptions): { firstRound: Promise<void>; stop(): Promise<StatusSummary> } {
  if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
  const stopper = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopper.signal]) : stopper.signal;
  const wait = options.wait ?? pause;
  const reports = createStatusReportGenerator(options.random);
  const path = options.path ?? DEFAULT_STATUS_PATH;
  const silent = new Set(options.silent.map((device) => device.devSno));
  const summary: StatusSummary = { rounds: 0, sent: 0, accepted: 0, rejected: 0, lost: 0, silentBoxes: [...silent] };

  const round = async (devices: SimulatedDevice[]) => {
    let turn = 0;
    const source: RequestSource = {
      eventsPerUpload: 1,
      next() {
        const device = devices[turn++ % devices.length]!;
        return { path: devicePath(path, device), body: Buffer.from(JSON.stringify(reports.next(device))), events: 1, batch: false };
      },
    };
    const result = await runLoad({
      url: options.url,
      source,
      concurrency: Math.min(options.concurrency, devices.length),
      events: devices.length,
      maxAttempts: options.maxAttempts,
      retryCapMs: options.retryCapMs,
      signal,
    });
    if (result.eventsSent === 0) return;
    summary.rounds++;
    summary.sent += result.eventsSent;
    summary.accepted += result.eventsAccepted;
    summary.rejected += result.eventsRejected;
    summary.lost += result.eventsGivenUp + result.eventsAbandoned;
  };

  const firstRound = round(options.devices);
  const live = options.devices.filter((device) => !silent.has(device.devSno));
  const loop = (async () => {
    await firstRound;
    while (!signal.aborted && live.length > 0) {
      await wait(options.intervalMs, signal);
      if (signal.aborted) break;
      await round(live);
    }
  })();
  return {
    firstRound,
    async stop() {
      stopper.abort();
      await loop;
      return summary;
    },
  };
}

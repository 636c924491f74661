import { backoffDelay, type BackoffSettings } from '@sophon/lifecycle';

/**
 * Per-box traffic control, shared by every batch being handled (main and retry topics):
 * at most `concurrency` requests in flight to one box, and a box whose last attempt failed
 * transiently is "down" until its backoff ends. Deliveries to a down box are parked at once
 * without a request, also those that were waiting for a slot when it failed, so an offline box
 * costs other boxes nothing (not even its timeout), and is probed by at most `concurrency`
 * requests per backoff window, however long its backlog.
 */
export interface BoxGate {
  /** Runs `work` once the box has a free slot. */
  run<T>(box: string, work: () => Promise<T>): Promise<T>;
  /** When the box may be tried again (epoch ms), or 0 when it is not known to be down. */
  downUntil(box: string, now: number): number;
  failed(box: string, now: number): number;
  succeeded(box: string): void;
}

interface BoxState {
  active: number;
  waiting: (() => void)[];
  failures: number;
  downUntil: number;
}

export function createBoxGate(concurrency: number, backoff: BackoffSettings): BoxGate {
  const boxes = new Map<string, BoxState>();
  const state = (box: string) => {
    let found = boxes.get(box);
    if (!found) boxes.set(box, (found = { active: 0, waiting: [], failures: 0, downUntil: 0 }));
    return found;
  };
  return {
    async run(box, work) {
      const s = state(box);
      if (s.active >= concurrency) await new Promise<void>((resolve) => s.waiting.push(resolve));
      else s.active++;
      try {
        return await work();
      } finally {
        // Hand the slot straight to the next waiter (active stays counted), or free it.
        const next = s.waiting.shift();
        if (next) next();
        else s.active--;
      }
    },
    downUntil: (box, now) => {
      const until = boxes.get(box)?.downUntil ?? 0;
      return until > now ? until : 0;
    },
    failed(box, now) {
      const s = state(box);
      s.downUntil = now + backoffDelay(s.failures, backoff);
      s.failures++;
      return s.downUntil;
    },
    succeeded(box) {
      const s = state(box);
      s.failures = 0;
      s.downUntil = 0;
    },
  };
}

import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import type { RequestSource, UploadRequest } from './request-source.js';
import { RETRYABLE_STATUSES, retryDelayMs } from './retry-after.js';
import { Semaphore } from './semaphore.js';

export interface LoadOptions {
  /** The target's origin (http://host:port); paths come from the requests. */
  url: string;
  source: RequestSource;
  /** Uploads in flight at most (keep-alive connections to the target). */
  concurrency: number;
  /** Events per second to offer; undefined: as fast as the target answers. */
  rate?: number;
  /** Stop sending new uploads after this long; uploads still waiting to be retried are abandoned. */
  durationMs?: number;
  /** Stop after this many events were sent; retries are then waited for. */
  events?: number;
  /** Attempts per upload, the first included (default 5). */
  maxAttempts?: number;
  /** Longest wait honoured from a Retry-After (default 30 s: a box re-sends within its upload cycle). */
  retryCapMs?: number;
  /** Wait before re-sending after a connection error, or a 429/503 without Retry-After (default 1 s). */
  retryFallbackMs?: number;
  /** An answer (or its headers) slower than this is a connection error (default 60 s). */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** Every HTTP answer, with when its upload was due and when the answer was read (performance.now()). */
  onAnswer?: (answer: { request: UploadRequest; status: number; body: string; dueAt: number; answeredAt: number }) => void;
  onProgress?: (progress: LoadProgress) => void;
  progressIntervalMs?: number;
}

export interface LoadProgress {
  elapsedMs: number;
  eventsSent: number;
  eventsAccepted: number;
  retries: number;
  errors: number;
}

export interface LoadResult {
  elapsedMs: number;
  /** Uploads sent at least once. */
  requests: number;
  /** HTTP exchanges, retries included. */
  attempts: number;
  eventsSent: number;
  eventsAccepted: number;
  /** Events refused for good: a 4xx other than 429, or refused inside an accepted batch. */
  eventsRejected: number;
  /** Events the target refused for good, by the status of the answer that refused them. */
  rejectedByStatus: Record<string, number>;
  /** Every answer by status, retried ones included; connection errors by their code. */
  statuses: Record<string, number>;
  /** Re-sends after a 503, a 429, or a connection error. */
  retries: { '503': number; '429': number; error: number };
  /** Events of uploads that failed maxAttempts times. */
  eventsGivenUp: number;
  /** Events of uploads still waiting to be re-sent when the run ended. */
  eventsAbandoned: number;
  bytesSent: number;
  bytesAccepted: number;
  eventsPerSecond: number;
  requestsPerSecond: number;
  /** Body megabytes (10^6) of accepted uploads per second. */
  megabytesPerSecond: number;
  /** Of uploads answered 2xx. At a target rate, measured from when the upload was due, so queueing counts. */
  latencyMs: LatencySummary;
}

interface Upload {
  request: UploadRequest;
  attempts: number;
}

/**
 * The load generator: sends uploads with at most `concurrency` in flight, either as fast as the
 * target answers or at a target event rate, and retries 503 and 429 after their Retry-After
 * (capped), as a box does. Simulator and benchmarks both use it.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.durationMs === undefined && options.events === undefined) throw new Error('runLoad needs durationMs or events');
  if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  const maxAttempts = options.maxAttempts ?? 5;
  const retryCapMs = options.retryCapMs ?? 30_000;
  const retryFallbackMs = options.retryFallbackMs ?? 1_000;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const pool = new Pool(new URL(options.url).origin, {
    connections: options.concurrency,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });

  const latency = new LatencyRecorder();
  const counts = {
    requests: 0,
    attempts: 0,
    eventsSent: 0,
    eventsAccepted: 0,
    eventsRejected: 0,
    eventsGivenUp: 0,
    eventsAbandoned: 0,
    bytesSent: 0,
    bytesAccepted: 0,
  };
  const statuses: Record<string, number> = {};
  const rejectedByStatus: Record<string, number> = {};
  const retries = { '503': 0, '429': 0, error: 0 };
  const slots = new Semaphore(options.concurrency);
  const work = new Set<Promise<void>>();
  const waitingRetries = new Set<{ timer: NodeJS.Timeout; upload: Upload; done: () => void }>();
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const eventBudget = options.events ?? Infinity;
  let ending = false;

  const count = (table: Record<string, number>, key: string, by = 1) => (table[key] = (table[key] ?? 0) + by);
  const mayStartUploads = () => !ending && !options.signal?.aborted && performance.now() < deadline && counts.eventsSent < eventBudget;
  const track = (promise: Promise<void>) => {
    work.add(promise);
    void promise.finally(() => work.delete(promise));
  };

  const scheduleRetry = (upload: Upload, delayMs: number) => {
    let entry!: { timer: NodeJS.Timeout; upload: Upload; done: () => void };
    const waited = new Promise<void>((done) => {
      const timer = setTimeout(() => {
        waitingRetries.delete(entry);
        done();
        if (ending) return void (counts.eventsAbandoned += upload.request.events);
        track(slots.acquire().then(() => send(upload, performance.now())));
      }, delayMs);
      entry = { timer, upload, done };
    });
    waitingRetries.add(entry);
    track(waited);
  };

  /** One HTTP exchange; the caller holds a slot, released here once the answer is read. */
  const send = async (upload: Upload, dueAt: number): Promise<void> => {
    const { request } = upload;
    upload.attempts++;
    counts.attempts++;
    counts.bytesSent += request.body.length;
    let status: number | undefined;
    let text = '';
    let retryAfter: string | string[] | undefined;
    let errorCode = '';
    try {
      const response = await pool.request({ path: request.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body });
      status = response.statusCode;
      retryAfter = response.headers['retry-after'];
      text = await response.body.text();
    } catch (error) {
      errorCode = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
    } finally {
      slots.release();
    }

    if (status === undefined) {
      count(statuses, errorCode);
      return retryOrGiveUp(upload, 'error', retryFallbackMs);
    }
    count(statuses, String(status));
    const answeredAt = performance.now();
    options.onAnswer?.({ request, status, body: text, dueAt, answeredAt });
    if (status >= 200 && status < 300) {
      latency.record(answeredAt - dueAt);
      const { accepted, rejected } = batchOutcome(request, text);
      counts.eventsAccepted += accepted;
      counts.eventsRejected += rejected;
      if (rejected > 0) count(rejectedByStatus, String(status), rejected);
      counts.bytesAccepted += request.body.length;
      return;
    }
    if (RETRYABLE_STATUSES.has(status)) {
      return retryOrGiveUp(upload, String(status) as '503' | '429', retryDelayMs(retryAfter, { capMs: retryCapMs, fallbackMs: retryFallbackMs }));
    }
    counts.eventsRejected += request.events;
    count(rejectedByStatus, String(status), request.events);
  };

  const retryOrGiveUp = (upload: Upload, reason: keyof typeof retries, delayMs: number) => {
    if (ending) return void (counts.eventsAbandoned += upload.request.events);
    if (upload.attempts >= maxAttempts) {
      counts.eventsGivenUp += upload.request.events;
      return;
    }
    retries[reason]++;
    scheduleRetry(upload, delayMs);
  };

  const progressTimer = options.onProgress
    ? setInterval(() => options.onProgress!(snapshot()), options.progressIntervalMs ?? 250)
    : undefined;
  const snapshot = (): LoadProgress => ({
    elapsedMs: performance.now() - started,
    eventsSent: counts.eventsSent,
    eventsAccepted: counts.eventsAccepted,
    retries: retries['503'] + retries['429'] + retries.error,
    errors: Object.entries(statuses).reduce((sum, [key, n]) => (/^\d+$/.test(key) ? sum : sum + n), 0),
  });

  // New uploads: at their due time (target rate), or whenever a slot frees (as fast as possible).
  const requestIntervalMs = options.rate ? (1000 * options.source.eventsPerUpload) / options.rate : 0;
  for (let index = 0; ; index++) {
    let dueAt = performance.now();
    if (requestIntervalMs > 0) {
      dueAt = started + index * requestIntervalMs;
      if (dueAt >= deadline) break;
      const wait = dueAt - performance.now();
      if (wait > 1) await sleep(wait);
      else if (index % 64 === 0) await yieldToIo(); // behind schedule: still let answers in
    }
    if (!mayStartUploads()) break;
    await slots.acquire();
    if (!mayStartUploads()) {
      slots.release();
      break;
    }
    const request = options.source.next();
    counts.requests++;
    counts.eventsSent += request.events;
    track(send({ request, attempts: 0 }, requestIntervalMs > 0 ? dueAt : performance.now()));
  }

  // Bounded by events only: wait for the retries too. Bounded by time (or stopped): abandon them.
  const waitForRetries = options.durationMs === undefined && !options.signal?.aborted;
  if (!waitForRetries) abandonRetries();
  while (work.size > 0) {
    await Promise.race(work);
    if (options.signal?.aborted) abandonRetries();
  }
  const elapsedMs = performance.now() - started;
  if (progressTimer) clearInterval(progressTimer);
  options.onProgress?.(snapshot());
  await pool.close();

  function abandonRetries() {
    ending = true;
    for (const entry of waitingRetries) {
      clearTimeout(entry.timer);
      counts.eventsAbandoned += entry.upload.request.events;
      entry.done();
    }
    waitingRetries.clear();
  }

  const seconds = elapsedMs / 1000;
  return {
    elapsedMs,
    ...counts,
    rejectedByStatus,
    statuses,
    retries,
    eventsPerSecond: counts.eventsAccepted / seconds,
    requestsPerSecond: latency.count / seconds,
    megabytesPerSecond: counts.bytesAccepted / 1e6 / seconds,
    latencyMs: latency.summary(),
  };
}

/**
 * Accepted and quarantined ("rejected" here) events of a 2xx answer: the gateway answers 200 for
 * invalid events too once they are quarantined, and says so per event (`status: "quarantined"`,
 * a batch counts them in `quarantined`).
 */
function batchOutcome(request: UploadRequest, text: string): { accepted: number; rejected: number } {
  try {
    const data = (JSON.parse(text) as { data?: { accepted?: unknown; quarantined?: unknown; status?: unknown } }).data;
    if (!request.batch) return data?.status === 'quarantined' ? { accepted: 0, rejected: request.events } : { accepted: request.events, rejected: 0 };
    const accepted = Number(data?.accepted);
    const rejected = Number(data?.quarantined);
    if (Number.isInteger(accepted) && Number.isInteger(rejected)) return { accepted, rejected };
  } catch {
    // Not the gateway's answer (a bare test server): every event counts as accepted.
  }
  return { accepted: request.events, rejected: 0 };
}


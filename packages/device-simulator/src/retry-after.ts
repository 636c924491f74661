/** Statuses a box treats as "try again later": the gateway's 503 (Kafka or capacity) and 429 (rate limit). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * How long to wait before re-sending, from a Retry-After header: delta-seconds or an HTTP date,
 * `fallbackMs` when absent or unreadable, never more than `capMs` (a box re-sends in its next
 * upload cycle whatever it was told).
 */
export function retryDelayMs(header: string | string[] | undefined, options: { capMs: number; fallbackMs: number; now?: number }): number {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  let delay = options.fallbackMs;
  if (value && /^\d+$/.test(value)) delay = Number(value) * 1000;
  else if (value) {
    const date = Date.parse(value);
    if (Number.isFinite(date)) delay = Math.max(0, date - (options.now ?? Date.now()));
  }
  return Math.min(delay, options.capMs);
}

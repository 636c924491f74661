/**
 * The match score on one 0–1 scale, for comparing boxes across a mixed fleet. Firmware sends either
 * 0–1 (V5R3C01, V2R2C01) or 0–100 (later versions: 94.8 in the V6R2C01 example), and no format says
 * which, so the value decides:
 *
 *   score > 1   -> a 0–100 score: score / 100
 *   score <= 1  -> already 0–1
 *   then clamped to [0, 1] (negative scores and scores over 100 are device bugs, not matches)
 *
 * The same guess as the ClickHouse score views (≤ 1 means 0–1). Its blind spot: a score ≤ 1 from a
 * 0–100 box (a near-zero similarity) is read as 0–1. The score as sent is always kept beside it.
 */
export function normaliseScore(score: number): number {
  const scaled = score > 1 ? score / 100 : score;
  return Math.min(1, Math.max(0, scaled));
}

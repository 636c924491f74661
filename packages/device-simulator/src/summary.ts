import type { LoadResult } from './load-engine.js';
import type { BoxApiSummary } from './fleet-box-apis.js';
import type { StatusSummary } from './status-schedule.js';

/** The end-of-run report, for people. */
export function formatSummary(result: LoadResult, context: { url: string; profile: string; batch: number; devices: number; formats?: readonly string[]; statusReports?: StatusSummary; boxApi?: BoxApiSummary }): string[] {
  const status = context.statusReports;
  const { latencyMs: latency } = result;
  const byStatus = (table: Record<string, number>) =>
    Object.keys(table).length === 0
      ? 'none'
      : Object.entries(table)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([status, n]) => `${status}: ${n}`)
          .join(', ');
  return [
    `target      ${context.url} (${context.devices} devices, profile ${context.profile}, ${context.batch} event(s) per upload)` +
      (context.formats ? `, firmware ${context.formats.join('/')}` : ''),
    `duration    ${(result.elapsedMs / 1000).toFixed(1)} s`,
    `sent        ${result.eventsSent} events in ${result.requests} uploads (${result.attempts} HTTP requests, ${(result.bytesSent / 1e6).toFixed(1)} MB)`,
    `accepted    ${result.eventsAccepted} events`,
    `rejected    ${result.eventsRejected} events (by status: ${byStatus(result.rejectedByStatus)})`,
    `retried     503: ${result.retries['503']}, 429: ${result.retries['429']}, connection errors: ${result.retries.error}` +
      `; given up: ${result.eventsGivenUp} events, still waiting at the end: ${result.eventsAbandoned} events`,
    `answers     ${byStatus(result.statuses)}`,
    `throughput  ${result.eventsPerSecond.toFixed(1)} events/s, ${result.requestsPerSecond.toFixed(1)} uploads/s, ${result.megabytesPerSecond.toFixed(2)} MB/s`,
    `latency     p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms (${latency.count} accepted uploads)`,
    ...(status
      ? [
          `status      ${status.sent} reports in ${status.rounds} round(s): ${status.accepted} accepted, ${status.rejected} rejected, ${status.lost} lost` +
            (status.silentBoxes.length > 0 ? `; silent after their first report: ${status.silentBoxes.join(', ')}` : ''),
        ]
      : []),
    ...(context.boxApi
      ? [
          `box API     ${context.boxApi.persons} persons on ${context.boxApi.boxesWithPersons} of ${context.boxApi.boxes} boxes ` +
            `(${context.boxApi.requests} create-person requests, port ${context.boxApi.port})`,
        ]
      : []),
  ];
}

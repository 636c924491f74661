import cliProgress from 'cli-progress';
import type { LoadProgress } from './load-engine.js';

/**
 * The bar while a run goes: elapsed time against --duration, or events sent against --events.
 * On stderr, so stdout keeps only the report; cli-progress draws nothing when that is not a terminal.
 */
export function progressBar(plan: { durationMs?: number; events?: number }, stream: NodeJS.WritableStream = process.stderr) {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {sent} sent, {accepted} accepted | {rate} events/s | {retries} retries, {errors} errors',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const total = plan.durationMs !== undefined ? Math.round(plan.durationMs / 1000) : (plan.events ?? 0);
  bar.start(total, 0, { sent: 0, accepted: 0, rate: '0', retries: 0, errors: 0 });
  return {
    update(progress: LoadProgress) {
      const done = plan.durationMs !== undefined ? Math.min(total, Math.floor(progress.elapsedMs / 1000)) : progress.eventsSent;
      bar.update(done, {
        sent: progress.eventsSent,
        accepted: progress.eventsAccepted,
        rate: (progress.eventsAccepted / Math.max(progress.elapsedMs / 1000, 0.001)).toFixed(0),
        retries: progress.retries,
        errors: progress.errors,
      });
    },
    stop: () => bar.stop(),
  };
}

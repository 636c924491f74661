import type { Output } from '@sophon/device-simulator';
import type { ResultsRecorder } from './results.js';

/** How long each measurement runs: a full run for figures, --quick to keep the suite working. */
export interface BenchSettings {
  quick: boolean;
  output: Output;
  recorder: ResultsRecorder;
}

/** How long a phase runs, in ms, given in seconds for a full run and for --quick. */
export const phaseMs = (settings: BenchSettings, fullSeconds: number, quickSeconds: number) => (settings.quick ? quickSeconds : fullSeconds) * 1000;

export const MB = 1e6;
export const MiB = 2 ** 20;
export const formatMiB = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

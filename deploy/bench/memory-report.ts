import type { ResultsRecorder } from './results.js';

type Condition = 'underLoad' | 'kafkaStalled';

/** Peak RSS per service, the highest seen under load and while Kafka was stalled, with where it was seen. */
export class MemoryReport {
  private readonly peaks = new Map<string, Partial<Record<Condition, { bytes: number; during: string }>>>();

  record(service: string, condition: Condition, bytes: number, during: string): void {
    const entry = this.peaks.get(service) ?? {};
    if (!entry[condition] || entry[condition]!.bytes < bytes) entry[condition] = { bytes, during };
    this.peaks.set(service, entry);
  }

  addSection(recorder: ResultsRecorder): void {
    const rows = [...this.peaks].map(([service, entry]) => {
      const cell = (condition: Condition) => {
        const peak = entry[condition];
        return peak ? `${recorder.figure(`memory.${service}.${condition}.peakRssMiB`, peak.bytes / 2 ** 20, 'MiB', 0)} (${peak.during})` : '–';
      };
      return [service, cell('underLoad'), cell('kafkaStalled')];
    });
    recorder.section({
      title: 'Peak memory (RSS) per service',
      method: 'VmHWM of each service process from /proc/<pid>/status, reset (clear_refs) at the start of each run; the highest run is shown.',
      header: ['service', 'under load', 'Kafka stalled'],
      rows,
    });
  }
}

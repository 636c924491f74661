/**
 * What a process costs, from /proc (Linux): resident memory and its peak (VmRSS, VmHWM), and CPU
 * time. Peaks are per phase: the kernel resets VmHWM to the current RSS when "5" is written to
 * /proc/<pid>/clear_refs, which we may do for our own children.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

export interface MemoryStatus {
  rssBytes: number;
  peakRssBytes: number;
}

export function readMemory(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kilobytes('VmRSS'), peakRssBytes: kilobytes('VmHWM') };
}

/** Starts a new peak: VmHWM becomes the current RSS. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU and peak memory of a set of processes over one phase of a benchmark. */
export function startPhase(pids: Record<string, number>) {
  const cpuAtStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  for (const pid of Object.values(pids)) resetPeakRss(pid);
  const started = performance.now();
  return {
    end(): Record<string, { cpuSeconds: number; cores: number; peakRssBytes: number }> {
      const seconds = (performance.now() - started) / 1000;
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => {
          const used = cpuSeconds(pid) - cpuAtStart[name]!;
          return [name, { cpuSeconds: used, cores: used / seconds, peakRssBytes: readMemory(pid).peakRssBytes }];
        }),
      );
    },
  };
}

/**
 * The pid of a direct child of this process whose command line contains `fragment` (the stack
 * starts services and the broker without telling their pids). Only our own children are looked at.
 */
export function childPid(fragment: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(fragment)) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  throw new Error(`no child process of ours runs "${fragment}"`);
}

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Output } from '@sophon/device-simulator';
import { BUCKET, startLocalStack, type LocalStack, type ServiceName } from '../local/stack.js';
import { benchmarkCapacity } from './capacity-bench.js';
import { benchmarkEndToEnd } from './end-to-end-bench.js';
import { benchmarkGateway } from './gateway-bench.js';
import { benchmarkImageStore } from './image-store-bench.js';
import { MemoryReport } from './memory-report.js';
import { ResultsRecorder, writeResults, type BenchmarkResults } from './results.js';
import { startS3Process } from './stack-s3.js';
import type { BenchSettings } from './settings.js';
import { benchmarkWriter } from './writer-bench.js';

export const BENCHMARKS = ['end-to-end', 'capacity', 'gateway', 'writer', 'image-store'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** Runs the benchmarks one after the other (they would compete for the two cores) and writes the results. */
export async function runBenchmarks(options: { quick: boolean; outDir: string; only?: BenchmarkName[]; output: Output }): Promise<BenchmarkResults> {
  const wanted = new Set<BenchmarkName>(options.only ?? BENCHMARKS);
  const recorder = new ResultsRecorder(options.quick ? 'quick' : 'full');
  const settings: BenchSettings = { quick: options.quick, output: options.output, recorder };
  const memory = new MemoryReport();

  if (wanted.has('end-to-end') || wanted.has('capacity')) {
    await withLocalStack(options.output, async (stack, s3Pid) => {
      if (wanted.has('end-to-end')) {
        const { steady, stalled } = await benchmarkEndToEnd(stack, settings);
        for (const [service, stats] of Object.entries(steady)) memory.record(service, 'underLoad', stats.peakRssBytes, 'end to end, steady rate');
        for (const [service, stats] of Object.entries(stalled)) memory.record(service, 'kafkaStalled', stats.peakRssBytes, 'end to end, steady rate');
      }
      if (wanted.has('capacity')) await benchmarkCapacity(stack, settings, { s3Pid });
    });
  }
  // A stack of its own, so that its figures do not depend on what the phases before it wrote: run
  // after the capacity steps, on a test broker holding hundreds of MB in memory, even the gateway's
  // producer alone published full events a third slower (773 vs 1195/s in a run of its own).
  if (wanted.has('gateway')) {
    await withLocalStack(options.output, async (stack) => {
      // The gateway alone: consumers would take CPU from it and not from the baseline.
      for (const name of ['analytics-writer', 'image-store', 'registration-worker', 'device-sync'] as ServiceName[]) await stack.services[name].stop();
      const gateway = await benchmarkGateway(stack, settings);
      memory.record('gateway', 'underLoad', gateway.underLoadPeakRssBytes, 'full events, maximum rate');
      memory.record('gateway', 'kafkaStalled', gateway.stalledPeakRssBytes, 'batches of full events, 64 in flight');
    });
  }
  if (wanted.has('writer')) {
    const writer = await benchmarkWriter(settings);
    memory.record('analytics-writer', 'underLoad', writer.peakRssBytes, 'draining the pre-filled topic');
  }
  if (wanted.has('image-store')) {
    const images = await benchmarkImageStore(settings);
    memory.record('image-store', 'underLoad', images.peakRssBytes, 'draining the pre-filled topic');
  }
  memory.addSection(recorder);

  const results = recorder.results();
  const files = await writeResults(results, options.outDir);
  options.output.line();
  options.output.line(readFileSync(files.markdown, 'utf8'));
  options.output.line(`written: ${files.markdown}, ${files.json}`);
  return results;
}

/**
 * The local stack from the services' builds, with s3rver in a process of its own; stopped after
 * `run`. The services log (warnings and worse) to a file of their own, kept and quoted in the
 * error when a benchmark fails, removed otherwise.
 */
async function withLocalStack(output: Output, run: (stack: LocalStack, s3Pid: number) => Promise<void>): Promise<void> {
  output.line('starting the local stack (mock Kafka, ClickHouse, s3rver, every service as a process)');
  const logDir = await mkdtemp(join(tmpdir(), 'sophon-bench-services-'));
  const logFile = join(logDir, 'services.log');
  try {
    const s3 = await startS3Process([BUCKET]);
    try {
      const stack = await startLocalStack({ output: { file: logFile }, logLevel: 'warn', s3: s3.server, built: true });
      try {
        await run(stack, s3.pid);
      } finally {
        await stack.stop();
      }
    } finally {
      await s3.stop();
    }
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await logTail(logFile)}`, { cause: error });
  }
  await rm(logDir, { recursive: true, force: true });
}

async function logTail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return `the services' logs (${file}), last ${lines} lines:\n${text.split('\n').slice(-lines - 1).join('\n')}`;
}

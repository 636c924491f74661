import { readFileSync } from 'node:fs';
import type { Output } from '@sophon/device-simulator';
import { BUCKET, startLocalStack, type ServiceName } from '../local/stack.js';
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

  if (wanted.has('end-to-end') || wanted.has('capacity') || wanted.has('gateway')) {
    options.output.line('starting the local stack (mock Kafka, ClickHouse, s3rver, every service as a process)');
    const s3 = await startS3Process([BUCKET]);
    const stack = await startLocalStack({ output: 'ignore', logLevel: 'warn', s3: s3.server, built: true }).catch(async (error: unknown) => {
      await s3.stop();
      throw error;
    });
    try {
      if (wanted.has('end-to-end')) {
        const { steady, stalled } = await benchmarkEndToEnd(stack, settings);
        for (const [service, stats] of Object.entries(steady)) memory.record(service, 'underLoad', stats.peakRssBytes, 'end to end, steady rate');
        for (const [service, stats] of Object.entries(stalled)) memory.record(service, 'kafkaStalled', stats.peakRssBytes, 'end to end, steady rate');
      }
      // The whole pipeline: before the consumers are stopped below.
      if (wanted.has('capacity')) await benchmarkCapacity(stack, settings, { s3Pid: s3.pid });
      // The gateway alone from here: consumers would take CPU from it and not from the baseline.
      for (const name of ['analytics-writer', 'image-store', 'registration-worker', 'device-sync'] as ServiceName[]) await stack.services[name].stop();
      if (wanted.has('gateway')) {
        const gateway = await benchmarkGateway(stack, settings);
        memory.record('gateway', 'underLoad', gateway.underLoadPeakRssBytes, 'full events, maximum rate');
        memory.record('gateway', 'kafkaStalled', gateway.stalledPeakRssBytes, 'batches of full events, 64 in flight');
      }
    } finally {
      await stack.stop();
      await s3.stop();
    }
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

/**
 * `pnpm bench [--quick] [--out DIR] [--only end-to-end,capacity,gateway,writer,image-store]`: runs the
 * benchmarks and writes DIR/latest.md and DIR/latest.json (default deploy/bench/results).
 * Figures, not pass/fail: see the README's "Simulator and benchmarks".
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { streamOutput } from '@sophon/device-simulator';
import { runBenchmarks, BENCHMARKS, type BenchmarkName } from './benchmarks.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    only: { type: 'string' },
  },
});
const only = values.only?.split(',').map((name) => name.trim()) as BenchmarkName[] | undefined;
const unknown = only?.filter((name) => !BENCHMARKS.includes(name));
if (unknown?.length) throw new Error(`--only: unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);

await runBenchmarks({ quick: values.quick, outDir: values.out, only, output: streamOutput() });

/**
 * Keeps the benchmarks working: the whole suite in --quick mode (a second or so per measurement,
 * plus the servers' start-up). Figures are not judged here, only that each is a positive number
 * and that both result files are written.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryOutput } from '@sophon/device-simulator';
import { runBenchmarks } from './benchmarks.js';

test('every benchmark runs in --quick mode, every figure is a positive number, and latest.md and latest.json are written', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'sophon-bench-'));
  try {
    const output = memoryOutput();
    const results = await runBenchmarks({ quick: true, outDir, output });

    const figures = Object.entries(results.figures);
    for (const prefix of ['gateway.', 'endToEnd.', 'writer.', 'imageStore.', 'memory.']) {
      assert.ok(figures.some(([key]) => key.startsWith(prefix)), `figures for ${prefix}*`);
    }
    for (const [key, { value }] of figures) assert.ok(Number.isFinite(value) && value > 0, `${key} = ${value}`);
    assert.ok(results.targets.length >= 7, 'every target of the issue is reported');

    const json = JSON.parse(await readFile(join(outDir, 'latest.json'), 'utf8'));
    assert.deepEqual(json.figures, results.figures);
    const markdown = await readFile(join(outDir, 'latest.md'), 'utf8');
    assert.match(markdown, /^# Benchmark results/);
    for (const section of results.sections) assert.ok(markdown.includes(`## ${section.title}`), section.title);
    assert.ok(output.lines.some((line) => line.startsWith('written: ')));
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
});

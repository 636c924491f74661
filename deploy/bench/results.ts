/**
 * The benchmarks' results: every figure (a positive number with its unit) under a stable key for
 * machines, tables for people, and the targets of the issue with whether they were met.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Figure {
  key: string;
  value: number;
  unit: string;
}

export interface Target {
  name: string;
  measured: number;
  /** The bound: measured must be at least (or at most) this. */
  bound: number;
  comparison: '>=' | '<=';
  unit: string;
  met: boolean;
}

export interface Section {
  title: string;
  /** How it was measured, in a sentence or two. */
  method: string;
  header: string[];
  rows: string[][];
}

export interface BenchmarkResults {
  generatedAt: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  figures: Record<string, { value: number; unit: string }>;
  targets: Target[];
  sections: Section[];
}

export class ResultsRecorder {
  readonly figures: Figure[] = [];
  readonly targets: Target[] = [];
  readonly sections: Section[] = [];

  constructor(private readonly mode: 'quick' | 'full') {}

  /** Records a figure and returns its value, formatted for a table. */
  figure(key: string, value: number, unit: string, digits = unit === '%' || unit === 'x' ? 2 : value >= 100 ? 0 : 1): string {
    this.figures.push({ key, value, unit });
    return `${value.toFixed(digits)} ${unit}`;
  }

  target(name: string, measured: number, comparison: '>=' | '<=', bound: number, unit: string): void {
    this.targets.push({ name, measured, bound, comparison, unit, met: comparison === '>=' ? measured >= bound : measured <= bound });
  }

  section(section: Section): void {
    this.sections.push(section);
  }

  results(): BenchmarkResults {
    return {
      generatedAt: new Date().toISOString(),
      mode: this.mode,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      figures: Object.fromEntries(this.figures.map(({ key, value, unit }) => [key, { value, unit }])),
      targets: this.targets,
      sections: this.sections,
    };
  }
}

export function renderMarkdown(results: BenchmarkResults): string {
  const { machine } = results;
  const lines = [
    `# Benchmark results`,
    '',
    `${results.mode === 'quick' ? 'Quick (smoke) run' : 'Full run'} of \`pnpm bench\`, ${results.generatedAt}, on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}. ` +
      'Every ratio compares figures measured in this same run, with the same load generator.',
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured', 'bound', 'met'],
      results.targets.map((t) => [t.name, `${formatNumber(t.measured)} ${t.unit}`, `${t.comparison} ${formatNumber(t.bound)} ${t.unit}`, t.met ? 'yes' : '**no**']),
    ),
  ];
  for (const section of results.sections) {
    lines.push('', `## ${section.title}`, '', section.method, '', table(section.header, section.rows));
  }
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const formatNumber = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2));

export async function writeResults(results: BenchmarkResults, directory: string): Promise<{ markdown: string; json: string }> {
  await mkdir(directory, { recursive: true });
  const markdown = join(directory, 'latest.md');
  const json = join(directory, 'latest.json');
  await writeFile(markdown, renderMarkdown(results));
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  return { markdown, json };
}

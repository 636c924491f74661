/**
 * Where the simulator's (and the benchmarks') report goes: stdout by design, a sink of lines in
 * tests. The only place these packages write to a stream.
 */
export interface Output {
  line(text?: string): void;
  json(value: unknown): void;
  /** Problems (usage errors), kept apart from the report so --json output stays parseable. */
  error(text: string): void;
}

export function streamOutput(stream: NodeJS.WritableStream = process.stdout, errors: NodeJS.WritableStream = process.stderr): Output {
  return {
    line: (text = '') => void stream.write(`${text}\n`),
    json: (value) => void stream.write(`${JSON.stringify(value, null, 2)}\n`),
    error: (text) => void errors.write(`${text}\n`),
  };
}

/** Collects lines, for tests. */
export function memoryOutput(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    line: (text = '') => void lines.push(text),
    json: (value) => void lines.push(JSON.stringify(value)),
    error: (text) => void errors.push(text),
  };
}

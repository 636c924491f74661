/**
 * deploy/docker/Dockerfile, read as text (no Docker engine here): it builds with the very
 * commands CI runs, so a broken build cannot hide in the image, and its runtime stage is
 * small, unprivileged and runs what docker-compose.yml starts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCompose, ROOT } from './compose-file.js';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n');
  return joined
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(readFileSync(`${ROOT}deploy/docker/Dockerfile`, 'utf8'));
const stages = dockerfile.reduce<Instruction[][]>((all, instruction) => {
  if (instruction.keyword === 'FROM') all.push([]);
  all.at(-1)?.push(instruction);
  return all;
}, []);
const runtime = stages.at(-1)!;
const build = stages.slice(0, -1).flat();
const runs = (stage: Instruction[]) => stage.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);

describe('deploy/docker/Dockerfile', () => {
  test('builds with the commands CI runs (deploy/scripts/test.sh)', () => {
    const ci = readFileSync(`${ROOT}deploy/scripts/test.sh`, 'utf8').split('\n').map((line) => line.trim());
    for (const command of ['pnpm install --frozen-lockfile', 'pnpm build']) {
      assert.ok(ci.includes(command), `CI no longer runs "${command}": update this test and the Dockerfile together`);
      assert.ok(runs(build).some((run) => run.endsWith(command) && !run.includes(`${command} `)), `the build stage must RUN "${command}" exactly`);
    }
    // pnpm at the version package.json pins, as CI gets it (corepack).
    assert.ok(runs(build).includes('corepack enable'));
    assert.ok(build.every((instruction) => !/npm (i|install) .*pnpm/.test(instruction.args)), 'no second pnpm version');
  });

  test('the runtime stage holds production dependencies only, runs as a non-root user with NODE_ENV=production', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.ok(runs(build).some((run) => run.includes('pnpm install --prod --frozen-lockfile')), 'production install from the lockfile');
    const prodInstall = runs(build).find((run) => run.includes('--prod'))!;
    assert.match(prodInstall, /rm -rf node_modules packages\/\*\/node_modules services\/\*\/node_modules/, 'a fresh install: --prod over a full install keeps the dev files');
    assert.deepEqual(runs(runtime), [], 'nothing is installed or built in the runtime stage');
    const users = runtime.filter((instruction) => instruction.keyword === 'USER').map((instruction) => instruction.args);
    assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), `runs as ${users.at(-1)}`);
    assert.ok(runtime.some((instruction) => instruction.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(instruction.args)));
    const copies = runtime.filter((instruction) => instruction.keyword === 'COPY');
    assert.ok(copies.length > 0 && copies.every((instruction) => instruction.args.startsWith('--from=')), 'the runtime stage copies only what the build stage assembled');
  });

  test('the base image is a pinned Node LTS that satisfies package.json engines', () => {
    const arg = dockerfile.find((instruction) => instruction.keyword === 'ARG' && instruction.args.startsWith('NODE_IMAGE='));
    const match = /^NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/.exec(arg?.args ?? '');
    assert.ok(match, `pin node:MAJOR.MINOR.PATCH-<debian>-slim, not ${arg?.args}`);
    const [, major] = match.map(Number);
    assert.equal(major! % 2, 0, 'an even (LTS) Node major');
    const engines = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } }).engines.node;
    assert.ok(major! >= Number(/>=(\d+)/.exec(engines)![1]), `engines ${engines}`);
    assert.ok(stages.every((stage) => stage[0]!.args.startsWith('${NODE_IMAGE}')), 'every stage uses that one image');
  });

  test('the image holds what compose runs: each command is a built entry point, and the jobs’ deploy files', () => {
    const compose = readCompose();
    const productImage = compose.services.gateway!.image;
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image !== productImage) continue;
      const [, file] = service.command!;
      const match = /^((?:packages|services)\/[\w-]+)\/dist\/([\w-]+)\.js$/.exec(file!);
      assert.ok(match, `${name}: ${file} is not a built entry point`);
      const [, workspacePackage, module] = match;
      assert.ok(existsSync(`${ROOT}${workspacePackage}/src/${module}.ts`), `${name}: ${workspacePackage}/src/${module}.ts`);
      const tsconfig = JSON.parse(readFileSync(`${ROOT}${workspacePackage}/tsconfig.json`, 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
      assert.deepEqual([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir], ['src', 'dist'], `${workspacePackage} compiles src/ to dist/`);
    }
    const assembly = runs(build).find((run) => run.includes('/out'))!;
    assert.match(assembly, /for dir in packages\/\* services\/\*/);
    assert.match(assembly, /"\$dir\/dist"/);
    // migrate-cli and ensure-topics find these relative to their dist/ (paths.ts, ensure-topics-cli.ts).
    assert.match(assembly, /cp -a deploy\/clickhouse deploy\/kafka \/out\/deploy\//);
  });

  test('.dockerignore keeps host builds and installs out of the context', () => {
    const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((line) => line.trim());
    for (const pattern of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '.env']) assert.ok(ignored.includes(pattern), pattern);
  });
});

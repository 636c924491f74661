/**
 * deploy/docker/Dockerfile, read as text (no Docker engine here): it builds with the very
 * commands CI runs, so a broken build cannot hide in the image, and its runtime stage is
 * small, unprivileged and runs what docker-compose.yml starts.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
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

/** The production install, and the workspace packages it selects (IMAGE_PACKAGES; none: all of them, as a plain --prod install). */
const prodInstall = runs(build).find((run) => run.includes('pnpm install --prod'))!;
const imageArg = build.find((instruction) => instruction.keyword === 'ARG' && instruction.args.startsWith('IMAGE_PACKAGES='));
const imagePackages = imageArg ? /^IMAGE_PACKAGES="([^"]*)"$/.exec(imageArg.args)![1]!.split(/\s+/) : undefined;

type Dependencies = Record<string, string>;
interface Lockfile {
  importers: Record<string, { dependencies?: Record<string, { version: string }>; optionalDependencies?: Record<string, { version: string }>; devDependencies?: Record<string, { version: string }> }>;
  snapshots: Record<string, { dependencies?: Dependencies; optionalDependencies?: Dependencies }>;
}
const lockfile = parse(readFileSync(`${ROOT}pnpm-lock.yaml`, 'utf8')) as Lockfile;
const manifest = (dir: string) => JSON.parse(readFileSync(`${ROOT}${dir}/package.json`, 'utf8')) as { name: string; dependencies?: Dependencies; optionalDependencies?: Dependencies };
const importerOf = new Map(Object.keys(lockfile.importers).map((dir) => [manifest(dir).name, dir]));
const nameOf = (key: string) => key.slice(0, key.indexOf('@', 1));
/** The workspace directories the production install selects. */
const imageProjects = imagePackages ? imagePackages.map((name) => importerOf.get(name) ?? assert.fail(`IMAGE_PACKAGES: no workspace package ${name}`)) : Object.keys(lockfile.importers);

/**
 * What a pnpm install of `projects` puts in node_modules, from the lockfile: each project's
 * dependencies (devDependencies too when `dev`), workspace links followed as pnpm's --filter-prod
 * does, and every package's own dependencies, optional ones included. Names, workspace and npm.
 */
function moduleTree(projects: string[], dev = false): Set<string> {
  const names = new Set<string>();
  const importers = [...projects];
  const snapshots: string[] = [];
  const seen = new Set<string>();
  while (importers.length > 0) {
    const dir = importers.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    names.add(manifest(dir).name);
    const { dependencies = {}, optionalDependencies = {}, devDependencies = {} } = lockfile.importers[dir]!;
    for (const [name, { version }] of Object.entries({ ...dependencies, ...optionalDependencies, ...(dev ? devDependencies : {}) })) {
      if (version.startsWith('link:')) importers.push(posix.join(dir, version.slice('link:'.length)));
      else snapshots.push(/^\d/.test(version) ? `${name}@${version}` : version);
    }
  }
  while (snapshots.length > 0) {
    const key = snapshots.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    names.add(nameOf(key));
    const { dependencies = {}, optionalDependencies = {} } = lockfile.snapshots[key] ?? {};
    for (const [name, version] of Object.entries({ ...dependencies, ...optionalDependencies })) snapshots.push(/^\d/.test(version) ? `${name}@${version}` : version);
  }
  return names;
}

/** Packages a module loads when it runs: its imports and re-exports, less the type-only ones and relative paths. */
function runtimeImports(text: string): string[] {
  const statements = text.matchAll(/(?:^|[;\n])\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?'([^']+)'|import\(\s*'([^']+)'\s*\)/g);
  return [...statements].filter((match) => !match[1]).map((match) => (match[2] ?? match[3])!).filter((specifier) => !specifier.startsWith('.'));
}

describe('deploy/docker/Dockerfile', () => {
  test('builds with the commands CI runs (deploy/scripts/test.sh)', () => {
    const ci = readFileSync(`${ROOT}deploy/scripts/test.sh`, 'utf8').split('\n').map((line) => line.trim());
    for (const command of ['pnpm install --frozen-lockfile', 'pnpm build']) {
      assert.ok(ci.includes(command), `CI no longer runs "${command}": update this test and the Dockerfile together`);
    }
    assert.ok(runs(build).includes('pnpm build'), 'the build stage must RUN "pnpm build" exactly');
    // CI's install less chdb's native library (an optional dependency, 500 MB, loaded by tests only)
    // and the install scripts (only test tools have any): nothing that `pnpm build` reads.
    const install = runs(build).find((run) => /pnpm install --frozen-lockfile( |$)/.test(run));
    assert.ok(install, 'the build stage must RUN "pnpm install --frozen-lockfile"');
    assert.deepEqual(install.split(/pnpm install --frozen-lockfile/)[1]!.trim().split(/\s+/).sort(), ['--ignore-scripts', '--no-optional']);
    // pnpm at the version package.json pins, as CI gets it (corepack).
    assert.ok(runs(build).includes('corepack enable'));
    assert.ok(build.every((instruction) => !/\bnpm (i|install)\b.*\bpnpm\b/.test(instruction.args)), 'no second pnpm version');
  });

  test('the runtime stage holds production dependencies only, runs as a non-root user with NODE_ENV=production', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.ok(prodInstall?.includes('pnpm install --prod --frozen-lockfile $filters;'), 'production install from the lockfile, of the image packages');
    assert.match(prodInstall, /rm -rf node_modules packages\/\*\/node_modules services\/\*\/node_modules/, 'a fresh install: --prod over a full install keeps the dev files');
    // --filter-prod, not --filter: the packages they depend on, not the ones their tests do.
    assert.match(prodInstall, /for package in \$IMAGE_PACKAGES; do filters="\$filters --filter-prod=\$package\.\.\."; done;/);
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
    // Exactly the packages the production install selected, each with its dist.
    assert.match(assembly, /for dir in \$\(pnpm ls --recursive --depth -1 --parseable \$filters\)/);
    assert.match(assembly, /"\$dir\/dist"/);
    // migrate-cli and ensure-topics find these relative to their dist/ (paths.ts, ensure-topics-cli.ts).
    assert.match(assembly, /cp -a deploy\/clickhouse deploy\/kafka \/out\/deploy\//);
  });

  test('the image packages are the ones whose programs compose runs from the image', () => {
    const compose = readCompose();
    const productImage = compose.services.gateway!.image;
    const programs = Object.values(compose.services)
      .filter((service) => service.image === productImage)
      .map((service) => manifest(/^((?:packages|services)\/[\w-]+)\//.exec(service.command![1]!)![1]!).name);
    assert.ok(imagePackages, 'ARG IMAGE_PACKAGES names the packages the production install selects');
    assert.deepEqual([...new Set(programs)].sort(), [...imagePackages].sort());
  });

  test('no devDependency is in the image’s module tree (computed from the lockfile)', () => {
    const runtime = moduleTree(imageProjects);
    const workspace = moduleTree(Object.keys(lockfile.importers), true);
    const devOnly = ['@sophon/test-kit', '@sophon/device-simulator', 's3rver', 'koa', 'chdb', '@chdb/lib-linux-x64-gnu', 'tsx', 'esbuild', 'typescript', 'yaml', '@types/node'];
    for (const name of devOnly) assert.ok(workspace.has(name), `${name} is no longer in the workspace: drop it from this list`);
    assert.deepEqual(devOnly.filter((name) => runtime.has(name)), [], 'dev-only packages in the image');
    for (const name of ['express', 'kafkajs', 'minio', '@clickhouse/client', 'pino', 'zod', '@sophon/kafka', '@sophon/clickhouse']) assert.ok(runtime.has(name), `the image needs ${name}`);
  });

  test('every package the image’s code loads is a production dependency of the package that loads it', () => {
    const builtins = new Set(builtinModules);
    const projects = [...moduleTree(imageProjects)].filter((name) => importerOf.has(name)).map((name) => importerOf.get(name)!).filter((dir) => existsSync(`${ROOT}${dir}/src`));
    for (const dir of projects) {
      const { dependencies = {}, optionalDependencies = {} } = manifest(dir);
      const files = readdirSync(`${ROOT}${dir}/src`, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
      for (const file of files) {
        for (const specifier of runtimeImports(readFileSync(`${ROOT}${dir}/src/${file}`, 'utf8'))) {
          if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
          const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
          assert.ok(name in dependencies || name in optionalDependencies, `${dir}/src/${file} loads ${name}, which a production install of ${manifest(dir).name} lacks`);
        }
      }
    }
  });

  test('.dockerignore keeps host builds and installs out of the context', () => {
    const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((line) => line.trim());
    for (const pattern of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '.env']) assert.ok(ignored.includes(pattern), pattern);
  });
});

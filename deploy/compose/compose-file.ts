/**
 * docker-compose.yml as Compose reads it, without a Docker engine: YAML with merge keys, then
 * ${VAR} interpolation from an environment (the defaults when empty, as on a fresh clone).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_FILE = `${ROOT}docker-compose.yml`;
export const ENV_EXAMPLE_FILE = `${ROOT}.env.example`;

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  container_name?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The file as YAML gives it, merge keys (<<) resolved and ${VAR} left as written. */
export function readRawCompose(text = readFileSync(COMPOSE_FILE, 'utf8')): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** The file with every ${VAR} replaced as Compose does, from `env` (defaults when it is empty). */
export function readCompose(env: Record<string, string> = {}): ComposeFile {
  return interpolateDeep(readRawCompose(), env) as ComposeFile;
}

const VARIABLE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}$]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Compose's interpolation: $$ is a dollar; ${VAR}, $VAR; ${VAR:-default} (unset or empty),
 * ${VAR-default} (unset); ${VAR:?error}, ${VAR?error}; ${VAR:+other}, ${VAR+other}.
 */
export function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(VARIABLE, (_match, dollar?: string, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (dollar) return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const unset = value === undefined;
    const empty = unset || value === '';
    switch (operator) {
      case ':-':
        return empty ? argument : (value as string);
      case '-':
        return unset ? argument : (value as string);
      case ':?':
      case '?':
        if (operator === ':?' ? empty : unset) throw new Error(`${name}: ${argument || 'required'}`);
        return value as string;
      case ':+':
        return empty ? '' : argument;
      case '+':
        return unset ? '' : argument;
      default:
        return value ?? '';
    }
  });
}

/** Every variable the text refers to, with its default (undefined when it has none). */
export function referencedVariables(text: string): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const match of text.matchAll(VARIABLE)) {
    const [, dollar, braced, operator, argument, bare] = match;
    if (dollar) continue;
    const name = (braced ?? bare) as string;
    const fallback = operator === ':-' || operator === '-' ? argument ?? '' : undefined;
    if (!found.has(name) || found.get(name) === undefined) found.set(name, fallback);
  }
  return found;
}

/** Every string value of the file (Compose interpolates values only: not keys, not comments). */
export function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringValues);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringValues);
  return [];
}

function interpolateDeep(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env));
  if (value && typeof value === 'object') {
    // Compose interpolates values, never keys.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, env)]));
  }
  return value;
}

/** KEY=VALUE lines; blank lines and # comments skipped (the subset .env.example uses). */
export function readEnvFile(file = ENV_EXAMPLE_FILE): Record<string, string> {
  const entries: [string, string][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals < 1) throw new Error(`${file}: not KEY=VALUE: ${line}`);
    entries.push([trimmed.slice(0, equals), trimmed.slice(equals + 1)]);
  }
  return Object.fromEntries(entries);
}

/** The environment a container gets, as strings (Compose passes numbers and booleans as text). */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]));
}

/** host:port of a URL or a bare host:port. */
export function hostAndPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

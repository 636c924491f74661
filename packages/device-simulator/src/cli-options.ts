import { parseArgs } from 'node:util';
import { EVENT_PROFILES, type EventProfile } from './event-generator.js';
import { FIRMWARES, type Firmware } from './fleet.js';
import { MAX_BOX_APIS } from './fleet-box-apis.js';
import { MAX_BATCH } from './request-source.js';

export interface SimulatorOptions {
  url: string;
  devices: number;
  tokens?: string;
  token?: string;
  /** Events per second; undefined with --max. */
  rate?: number;
  durationMs?: number;
  events?: number;
  batch: number;
  profile: EventProfile;
  /** Firmware of the fleet: each box gets one of these, dealt by the seed. */
  formats: Firmware[];
  /** Seconds between a box's status reports; 0: no reports. */
  statusIntervalSeconds: number;
  /** Boxes that go silent after their first status report. */
  silentBoxes: number;
  /** Each box serves the create-person API on this port (--box-api), at an address of its own; undefined: none. */
  boxApiPort?: number;
  /** How long the box APIs stay up after the events, for the registrations still on their way. */
  boxApiLingerMs: number;
  concurrency: number;
  maxAttempts: number;
  retryCapMs: number;
  seed: number;
  json: boolean;
}

export const USAGE = `sophon-simulate: simulates Sophon SE3 boxes posting HistoryEvents to a gateway

  --url URL             gateway, e.g. http://127.0.0.1:9528 (the upload path is added when missing)
  --devices N           boxes to simulate (default 10)
  --token TOKEN         a wildcard device token (token:*) all boxes post with
  --tokens LIST         token:DEV_SNO pairs, comma-separated: one box per pair (token:* = --token)
  --rate N | --max      events per second offered, or as fast as the gateway answers (default --rate 50)
  --duration S | --events N
                        how long to send (default 10 s), or how many events to send
  --batch N             events per upload, 1..100 (1: single events; more: history batches)
  --profile P           small (no pictures), full (all four pictures) or mixed (default)
  --formats LIST        firmware of the fleet, comma-separated: V5R3C01, V2R2C01, V5R6C01, V6R2C01
                        (default all four, one per box, dealt by the seed); events in each one's shape
  --status-interval S   each box posts its status report to /DeviceStatus at once and every S
                        seconds (default 30; 0: no reports). V6R2C01 boxes send theirs, others V5R3C01's
  --silent-boxes N      N boxes (the last ones) go silent after their first status report: no more
                        events or reports, as a box that died (default 0)
  --box-api             each box also serves the create-person API (POST /SophonFogSys/api/users), as
                        device-sync pushes registrations to it, on an address of its own (127.18.x.y)
                        that its status reports announce; the summary counts the persons received
  --box-api-port P      the port of every box's API (default 5555, device-sync's DEVICE_SYNC_BOX_API_PORT)
  --box-api-linger S    seconds the box APIs stay up after the events, for registrations on their way
                        (default 20)
  --concurrency N       uploads in flight at most (default 8)
  --max-attempts N      attempts per upload on 503/429/connection errors (default 5)
  --retry-cap S         longest Retry-After honoured, seconds (default 30)
  --seed N              same seed, same events (default 1)
  --json                the summary as JSON on stdout
  --help`;

export class UsageError extends Error {}

/** The command line, checked: every problem is a UsageError with a message for the user. */
export function parseSimulatorArgs(args: string[]): SimulatorOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      url: { type: 'string' },
      devices: { type: 'string', default: '10' },
      token: { type: 'string' },
      tokens: { type: 'string' },
      rate: { type: 'string' },
      max: { type: 'boolean', default: false },
      duration: { type: 'string' },
      events: { type: 'string' },
      batch: { type: 'string', default: '1' },
      profile: { type: 'string', default: 'mixed' },
      formats: { type: 'string', default: FIRMWARES.join(',') },
      'status-interval': { type: 'string', default: '30' },
      'silent-boxes': { type: 'string', default: '0' },
      'box-api': { type: 'boolean', default: false },
      'box-api-port': { type: 'string', default: '5555' },
      'box-api-linger': { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '8' },
      'max-attempts': { type: 'string', default: '5' },
      'retry-cap': { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  if (!values.url) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url ${values.url} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http(s)');
  if (values.max && values.rate !== undefined) throw new UsageError('--rate and --max exclude each other');
  if (values.duration !== undefined && values.events !== undefined) throw new UsageError('--duration and --events exclude each other');
  const profile = values.profile as EventProfile;
  if (!EVENT_PROFILES.includes(profile)) throw new UsageError(`--profile must be one of ${EVENT_PROFILES.join(', ')}`);
  const statusIntervalSeconds = nonNegative('--status-interval', values['status-interval']);
  const silentBoxes = integer('--silent-boxes', values['silent-boxes'], 0, 100_000);
  if (silentBoxes > 0 && statusIntervalSeconds === 0) throw new UsageError('--silent-boxes needs status reports: a box goes silent after its first one (--status-interval > 0)');
  const boxApi = values['box-api'];
  if (boxApi && statusIntervalSeconds === 0) throw new UsageError('--box-api needs status reports: they tell device-sync where each box is (--status-interval > 0)');
  const devices = integer('--devices', values.devices, 1, 100_000);
  if (boxApi && devices > MAX_BOX_APIS) throw new UsageError(`--box-api serves at most ${MAX_BOX_APIS} boxes`);

  return {
    url: url.href,
    devices,
    token: values.token,
    tokens: values.tokens,
    rate: values.max ? undefined : positive('--rate', values.rate ?? '50'),
    durationMs: values.events === undefined ? positive('--duration', values.duration ?? '10') * 1000 : undefined,
    events: values.events === undefined ? undefined : integer('--events', values.events, 1, Number.MAX_SAFE_INTEGER),
    batch: integer('--batch', values.batch, 1, MAX_BATCH),
    profile,
    formats: firmwareList(values.formats),
    statusIntervalSeconds,
    silentBoxes,
    boxApiPort: boxApi ? integer('--box-api-port', values['box-api-port'], 1, 65_535) : undefined,
    boxApiLingerMs: nonNegative('--box-api-linger', values['box-api-linger']) * 1000,
    concurrency: integer('--concurrency', values.concurrency, 1, 10_000),
    maxAttempts: integer('--max-attempts', values['max-attempts'], 1, 1000),
    retryCapMs: positive('--retry-cap', values['retry-cap']) * 1000,
    seed: integer('--seed', values.seed, 0, 2 ** 32 - 1),
    json: values.json,
  };
}

function firmwareList(text: string): Firmware[] {
  const names = text.split(',').map((name) => name.trim().toUpperCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--formats must name at least one of ${FIRMWARES.join(', ')}`);
  const unknown = names.filter((name) => !(FIRMWARES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`--formats: unknown ${unknown.join(', ')} (known: ${FIRMWARES.join(', ')})`);
  return [...new Set(names)] as Firmware[];
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

function nonNegative(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${name} must be a number of seconds, 0 or more, got "${text}"`);
  return value;
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number, got "${text}"`);
  return value;
}

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  assignFirmware,
  createRandom,
  FIRMWARES,
  memoryOutput,
  parseSimulatorArgs,
  runSimulatorCli,
  simulatedDevices,
  startStatusReports,
  type SimulatorOptions,
} from '../src/index.js';

/** A gateway stand-in that records every upload and answers as the gateway does for one accepted item. */
let server: Server;
let url: string;
const received: { path: string; body: any }[] = [];
before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"status":"accepted"}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const reportsOf = (devSno: string) => received.filter((r) => r.path.startsWith('/DeviceStatus') && (r.body.dev_sno ?? r.body.mq_license_key) === devSno);
/** The box an event names, in any firmware's shape. */
const eventBox = (e: any): string => e.ext_data?.dev_sno ?? e.mq_license_key ?? (e.dev_sno || e.ep_info.ep_id.split('__')[0]);

test('reports come at once from every box, then every interval from the boxes that did not go silent', async () => {
  received.length = 0;
  const devices = assignFirmware(simulatedDevices({ count: 4, token: 'tok' }), FIRMWARES, 1);
  let waits = 0;
  let thirdWait!: () => void;
  const reachedThirdWait = new Promise<void>((resolve) => (thirdWait = resolve));
  const schedule = startStatusReports({
    url, devices, silent: [devices[3]!], intervalMs: 30_000, random: createRandom(2), concurrency: 2, maxAttempts: 3, retryCapMs: 1000,
    // Rounds two and three follow at once; the third pause lasts until stop().
    wait: (ms, signal) => {
      assert.equal(ms, 30_000);
      if (++waits < 3) return Promise.resolve();
      thirdWait();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  });
  await reachedThirdWait;
  const summary = await schedule.stop();
  assert.deepEqual(summary, { rounds: 3, sent: 10, accepted: 10, rejected: 0, lost: 0, silentBoxes: [devices[3]!.devSno] });
  for (const device of devices.slice(0, 3)) assert.equal(reportsOf(device.devSno).length, 3, device.devSno);
  assert.equal(reportsOf(devices[3]!.devSno).length, 1, 'the silent box reported once');
  assert.ok(received.every((r) => r.path === '/DeviceStatus?token=tok'));
  const v6 = devices.find((d) => d.firmware === 'V6R2C01')!;
  assert.ok(reportsOf(v6.devSno).every((r) => Array.isArray(r.body.media_devices) && r.body.gateway_ext_data === undefined));
  // Device-sync pushes faces to a box's reported IP: a simulated box names no real host.
  const boxIps = received.map((r) => r.body.gateway_ip).filter((ip) => ip !== undefined);
  assert.ok(boxIps.length > 0 && boxIps.every((ip) => /^198\.1[89]\.\d+\.\d+$/.test(ip)), boxIps.join(' '));
});

test('the CLI: a mixed fleet by default, the silent box sends its first report and no event', async () => {
  received.length = 0;
  const output = memoryOutput();
  const code = await runSimulatorCli(['--url', url, '--token', 'tok', '--devices', '4', '--silent-boxes', '1', '--profile', 'small', '--events', '40', '--max', '--json'], { output });
  assert.equal(code, 0, output.errors.join('\n'));
  const summary = JSON.parse(output.lines.join('\n'));
  assert.deepEqual(summary.formats, [...FIRMWARES]);
  assert.deepEqual(summary.statusReports, { rounds: 1, sent: 4, accepted: 4, rejected: 0, lost: 0, silentBoxes: ['SIM-0004'] });
  const events = received.filter((r) => r.path.startsWith('/EventServer/api/HistoryEvent')).map((r) => r.body);
  assert.equal(events.length, 40);
  assert.deepEqual(new Set(events.map(eventBox)), new Set(['SIM-0001', 'SIM-0002', 'SIM-0003']));
  assert.equal(reportsOf('SIM-0004').length, 1);
  const firmware = assignFirmware(simulatedDevices({ count: 4, token: 'tok' }), FIRMWARES, 1);
  const shapes = new Set(events.map((e) => (e.api_version ? 'V6R2C01' : e.ep_info ? 'V5R6C01' : e.ext_data.box_fiqa_info ? 'V2R2C01' : 'V5R3C01')));
  assert.deepEqual(shapes, new Set(firmware.slice(0, 3).map((d) => d.firmware)));
});

test('the CLI without reports (--status-interval 0) posts only events', async () => {
  received.length = 0;
  const output = memoryOutput();
  assert.equal(await runSimulatorCli(['--url', url, '--devices', '2', '--formats', 'V6R2C01', '--status-interval', '0', '--profile', 'small', '--events', '6', '--max', '--json'], { output }), 0);
  assert.equal(JSON.parse(output.lines.join('\n')).statusReports, undefined);
  assert.equal(received.length, 6);
  assert.ok(received.every((r) => r.path === '/EventServer/api/HistoryEvent' && r.body.api_version === '2.0'));
});

test('options: --formats, --status-interval and --silent-boxes, with their defaults and their errors', async () => {
  const parse = (...args: string[]) => parseSimulatorArgs(['--url', 'http://127.0.0.1:9528', ...args]) as SimulatorOptions;
  assert.deepEqual([parse().formats, parse().statusIntervalSeconds, parse().silentBoxes], [[...FIRMWARES], 30, 0]);
  assert.deepEqual(parse('--formats', 'v5r6c01, V6R2C01,V5R6C01').formats, ['V5R6C01', 'V6R2C01']);
  assert.equal(parse('--status-interval', '0').statusIntervalSeconds, 0);
  assert.equal(parse('--status-interval', '2.5', '--silent-boxes', '3').silentBoxes, 3);
  assert.throws(() => parse('--formats', 'V5R3C01,V9R9C09'), /--formats: unknown V9R9C09 \(known: V5R3C01, V2R2C01, V5R6C01, V6R2C01\)/);
  assert.throws(() => parse('--formats', ' , '), /--formats must name at least one/);
  assert.throws(() => parse('--status-interval=-1'), /--status-interval must be a number of seconds, 0 or more, got "-1"/);
  assert.throws(() => parse('--status-interval', ''), /--status-interval must be/);
  assert.throws(() => parse('--silent-boxes', '1', '--status-interval', '0'), /--silent-boxes needs status reports/);
  assert.throws(() => parse('--silent-boxes=-1'), /--silent-boxes must be an integer/);

  const output = memoryOutput();
  assert.equal(await runSimulatorCli(['--url', url, '--devices', '2', '--silent-boxes', '2'], { output }), 2);
  assert.match(output.errors.join('\n'), /--silent-boxes 2 leaves no box posting events \(2 boxes\)/);
});

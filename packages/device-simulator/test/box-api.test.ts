import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, waitFor } from '@sophon/test-kit';
import { memoryOutput, runSimulatorCli } from '../src/index.js';

/** `pnpm simulate --box-api`: every simulated box serves the create-person API device-sync pushes to, at the IP its reports announce. */
let gateway: Server;
let url: string;
const reports: Record<string, any>[] = [];
before(async () => {
  gateway = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url!.startsWith('/DeviceStatus')) reports.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"status":"accepted"}}');
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => gateway.close(() => resolve())));

const person = (identityId: string) => ({
  identity_id: identityId,
  group_name: 'strangers',
  info: { name: identityId, type: 4 },
  reg_photo: Buffer.from('a face').toString('base64'),
  ignore_exist: true,
});

test('--box-api: each box serves the create-person API on its own address, announced in its status reports; the summary counts what arrived', async () => {
  const port = await freePort();
  const output = memoryOutput();
  const args = ['--url', url, '--token', 'tok', '--devices', '4', '--profile', 'small', '--events', '8', '--rate', '20', '--box-api', '--box-api-port', String(port), '--box-api-linger', '3', '--json'];
  const running = runSimulatorCli(args, { output });

  // Device-sync would read the address from the reports (the V5R3C01 format's gateway_ip).
  await waitFor(() => reports.some((report) => typeof report['gateway_ip'] === 'string'), 'a status report with a box IP');
  const announced = reports.filter((report) => typeof report['gateway_ip'] === 'string');
  for (const report of announced) assert.match(report['gateway_ip'], /^127\.18\.\d+\.\d+$/);
  const box = announced[0]!;
  const answer = await fetch(`http://${box['gateway_ip']}:${port}/SophonFogSys/api/users`, { method: 'POST', body: JSON.stringify(person('stranger-1')) });
  assert.equal(answer.status, 200);
  assert.equal(((await answer.json()) as { data: { identity_id: string } }).data.identity_id, 'stranger-1');
  const refused = await fetch(`http://${box['gateway_ip']}:${port}/SophonFogSys/api/users`, { method: 'POST', body: JSON.stringify({ identity_id: 'no-group' }) });
  assert.equal(refused.status, 400, 'the API checks the documented fields');

  assert.equal(await running, 0, output.errors.join('\n'));
  const summary = JSON.parse(output.lines.join('\n'));
  assert.deepEqual(summary.boxApi, { boxes: 4, boxesWithPersons: 1, persons: 1, requests: 2, port });
  // A V6R2C01 box reports no IP: the CLI says how device-sync can reach it.
  assert.ok(output.errors.some((line) => /^note: V6R2C01 status reports carry no box IP; .*DEVICE_SYNC_BOX_ADDRESSES=SIM-\d{4}=127\.18\.0\.\d+:\d+/.test(line)), output.errors.join('\n'));
  await assert.rejects(fetch(`http://${box['gateway_ip']}:${port}/SophonFogSys/api/users`, { method: 'POST', body: '{}' }), 'the APIs close with the run');
});

test('--box-api needs status reports, which tell device-sync where the boxes are', async () => {
  const output = memoryOutput();
  assert.equal(await runSimulatorCli(['--url', url, '--box-api', '--status-interval', '0'], { output }), 2);
  assert.match(output.errors.join('\n'), /--box-api needs status reports/);
});

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { memoryOutput, retryDelayMs, runLoad, runSimulatorCli, type RequestSource } from '../src/index.js';

type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** A tiny server answering each upload by its attempt number (bodies carry an id). */
let server: Server;
let url: string;
let answerFor: (id: string, attempt: number) => Answer = () => ({ status: 200 });
const attempts = new Map<string, number>();

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = String((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const answer = answerFor(id, attempt);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function numberedUploads(events = 1): RequestSource {
  let n = 0;
  return { eventsPerUpload: events, next: () => ({ path: '/EventServer/api/HistoryEvent', body: Buffer.from(JSON.stringify({ id: `u${n++}` })), events, batch: events > 1 }) };
}

test('Retry-After is read as seconds or an HTTP date, capped, with a fallback', () => {
  const options = { capMs: 30_000, fallbackMs: 1_000, now: Date.parse('2026-01-01T00:00:00Z') };
  assert.equal(retryDelayMs('20', options), 20_000);
  assert.equal(retryDelayMs(['5'], options), 5_000);
  assert.equal(retryDelayMs('3600', options), 30_000);
  assert.equal(retryDelayMs('Thu, 01 Jan 2026 00:00:07 GMT', options), 7_000);
  assert.equal(retryDelayMs('Wed, 31 Dec 2025 00:00:00 GMT', options), 0);
  assert.equal(retryDelayMs(undefined, options), 1_000);
  assert.equal(retryDelayMs('soon', options), 1_000);
});

test('503 and 429 are retried after their Retry-After, like a box, and counted', async () => {
  attempts.clear();
  answerFor = (_id, attempt) =>
    attempt === 1 ? { status: 503, headers: { 'retry-after': '0' } } : attempt === 2 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 };
  const result = await runLoad({ url, source: numberedUploads(), concurrency: 4, events: 20 });
  assert.equal(result.eventsSent, 20);
  assert.equal(result.eventsAccepted, 20);
  assert.deepEqual(result.retries, { '503': 20, '429': 20, error: 0 });
  assert.deepEqual(result.statuses, { '200': 20, '429': 20, '503': 20 });
  assert.equal(result.attempts, 60);
  assert.equal(result.latencyMs.count, 20);
  assert.ok(result.eventsPerSecond > 0 && result.megabytesPerSecond > 0);
});

test('a long Retry-After is capped, and an upload refused maxAttempts times is given up', async () => {
  attempts.clear();
  answerFor = () => ({ status: 503, headers: { 'retry-after': '3600' } });
  const result = await runLoad({ url, source: numberedUploads(), concurrency: 2, events: 3, maxAttempts: 3, retryCapMs: 10 });
  assert.equal(result.eventsGivenUp, 3);
  assert.equal(result.eventsAccepted, 0);
  assert.equal(result.retries['503'], 6);
  assert.equal(result.attempts, 9);
});

test('a timed run abandons the uploads still waiting for their retry when it ends', async () => {
  attempts.clear();
  answerFor = () => ({ status: 429, headers: { 'retry-after': '30' } });
  const result = await runLoad({ url, source: numberedUploads(), concurrency: 2, rate: 50, durationMs: 200 });
  assert.ok(result.eventsSent > 0);
  assert.equal(result.eventsAbandoned, result.eventsSent);
  assert.equal(result.statuses['429'], result.eventsSent);
});

test('refusals other than 503/429 are final, counted by status; a batch reports its own quarantined events', async () => {
  attempts.clear();
  answerFor = (id) =>
    Number(id.slice(1)) % 2 === 0 ? { status: 400 } : { status: 200, body: JSON.stringify({ data: { accepted: 3, quarantined: 2, events: [] } }) };
  const result = await runLoad({ url, source: numberedUploads(5), concurrency: 3, events: 20 });
  assert.equal(result.requests, 4);
  assert.equal(result.eventsAccepted, 6);
  assert.equal(result.eventsRejected, 14);
  assert.deepEqual(result.rejectedByStatus, { '400': 10, '200': 4 });
});

test('a single event answered 200 but quarantined counts as rejected, not accepted', async () => {
  attempts.clear();
  answerFor = (id) =>
    Number(id.slice(1)) % 2 === 0
      ? { status: 200, body: JSON.stringify({ data: { status: 'quarantined', errors: [{ pointer: '/score', message: 'must be a number' }] } }) }
      : { status: 200, body: JSON.stringify({ data: { status: 'accepted', event_id: '0'.repeat(32) } }) };
  const result = await runLoad({ url, source: numberedUploads(1), concurrency: 1, events: 4 });
  assert.equal(result.eventsAccepted, 2);
  assert.equal(result.eventsRejected, 2);
  assert.deepEqual(result.rejectedByStatus, { '200': 2 });
});

test('connection errors are retried and counted by their code', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const result = await runLoad({ url: `http://127.0.0.1:${port}`, source: numberedUploads(), concurrency: 1, events: 1, maxAttempts: 2, retryFallbackMs: 1 });
  assert.equal(result.retries.error, 1);
  assert.equal(result.eventsGivenUp, 1);
  assert.equal(result.statuses['ECONNREFUSED'], 2);
});

test('the CLI prints a JSON summary with --json and a usage error otherwise', async () => {
  attempts.clear();
  answerFor = () => ({ status: 200 });
  const output = memoryOutput();
  const code = await runSimulatorCli(['--url', url, '--token', 't', '--devices', '3', '--profile', 'small', '--events', '12', '--batch', '3', '--max', '--json'], { output });
  assert.equal(code, 0);
  const summary = JSON.parse(output.lines.join('\n'));
  assert.equal(summary.eventsAccepted, 12);
  assert.equal(summary.requests, 4);
  assert.equal(summary.devices, 3);
  assert.ok(summary.latencyMs.p99 >= summary.latencyMs.p50);

  const text = memoryOutput();
  assert.equal(await runSimulatorCli(['--url', url, '--profile', 'small', '--events', '2', '--rate', '100'], { output: text }), 0);
  assert.ok(text.lines.some((line) => /^accepted\s+2 events/.test(line)), text.lines.join('\n'));

  const wrong = memoryOutput();
  assert.equal(await runSimulatorCli(['--url', url, '--batch', '101'], { output: wrong }), 2);
  assert.match(wrong.errors.join('\n'), /--batch must be an integer from 1 to 100/);
  assert.equal(await runSimulatorCli(['--bogus'], { output: wrong }), 2);
});

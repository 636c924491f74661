/**
 * The cheap refusals come before the expensive work: an encoded body, a principal over its
 * request rate and a body nested too deep are refused without inflating, reading or parsing
 * the body; and no URL spelling adds a metric series.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { sampleHistoryEvent } from '@sophon/event-contract/testing';
import { fetchMetrics, metricValue, waitFor } from '@sophon/test-kit';
import type { RunningGateway } from '../src/gateway.js';
import { gatewayTestBed, post, startTestGateway, TOKENS } from './harness.js';

const ROUTE = '/EventServer/api/HistoryEvent';
const MiB = 1024 * 1024;

const bed = gatewayTestBed({ gatewayEnv: { GATEWAY_MAX_BODY_BYTES: String(16 * MiB), GATEWAY_MAX_JSON_DEPTH: '16' } });

function event(devSno = 'BOX-A'): any {
  const e = structuredClone(sampleHistoryEvent()) as any;
  e.ext_data.dev_sno = devSno;
  e.ext_data.ep_id = `${devSno}__192.168.1.101`;
  return e;
}

/** One counter or gauge of /metrics (the sum of its series). */
const metric = (target: RunningGateway, name: string) => metricValue(target.url, name);

/**
 * Sends the headers and only the first `sent` bytes of a body declared `declared` bytes long, and
 * resolves with the answer. A server that reads the body before answering would wait for the rest,
 * which never comes: an answer proves the body was not needed.
 */
function answerToUnfinishedBody(url: string, headers: Record<string, string>, declared: number, sent: number) {
  return new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        req.destroy();
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Our own destroy after the answer, or the server closing a connection whose body it refused.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    req.write(Buffer.alloc(sent, 0x5b));
  });
}

describe('content encoding', () => {
  test('a gzip body is refused with 415 naming the encoding, and is never inflated', async () => {
    const before = await metric(bed.gateway, 'gateway_request_body_bytes_total');
    // 16 KB of gzip that would inflate to 15 MiB, just under the body limit.
    const bomb = gzipSync(JSON.stringify({ ...event(), padding: 'x'.repeat(15 * MiB) }));
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw: bomb, headers: { 'content-encoding': 'gzip' } })),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 415, answer.text.slice(0, 300));
      assert.equal(answer.json.error.status, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(answer.json.error.message, /Content-Encoding "gzip" is not accepted.*uncompressed/);
    }
    assert.equal(await metric(bed.gateway, 'gateway_request_body_bytes_total'), before, 'no body byte was read');
    assert.equal(await metric(bed.gateway, 'gateway_inflight_bytes'), 0);
  });

  test('the refusal comes before the body is read, for multipart too', { timeout: 30_000 }, async () => {
    for (const contentType of ['application/json', 'multipart/form-data; boundary=x']) {
      const answer = await answerToUnfinishedBody(
        `${bed.gateway.url}${ROUTE}?token=${TOKENS.boxA}`,
        { 'content-type': contentType, 'content-encoding': 'deflate' },
        4 * MiB,
        1024,
      );
      assert.equal(answer.status, 415, contentType);
      assert.match(answer.json.error.message, /"deflate"/);
    }
  });

  test('identity, the one encoding boxes use, is still accepted', async () => {
    const answer = await post(bed.gateway.url + ROUTE, event(), { token: TOKENS.boxA, headers: { 'content-encoding': 'identity' } });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe('request rate per token', () => {
  let limited: RunningGateway;
  before(async () => {
    limited = await startTestGateway(bed.kafka, { GATEWAY_RATE_LIMIT_REQUESTS: '2', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  after(() => limited?.shutdown.stop('test over'));

  test('a token over its request rate hears 429 with Retry-After before its body is read or handled', { timeout: 30_000 }, async () => {
    for (let i = 0; i < 2; i++) assert.equal((await post(limited.url + ROUTE, event(), { token: TOKENS.boxA })).status, 200);
    const bytesBefore = await metric(limited, 'gateway_request_body_bytes_total');

    // A complete body the handler would refuse with 403 (box B's event on box A's token): 429 means it was not reached.
    const over = await post(limited.url + ROUTE, event('BOX-B'), { token: TOKENS.boxA });
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.error.status, 'RESOURCE_EXHAUSTED');
    assert.match(over.json.error.message, /BOX-A is over its rate limit of 2 requests per 600 s/);
    assert.ok(Number(over.headers.get('retry-after')) >= 1, 'Retry-After');

    // A body that never arrives: the answer cannot have waited for it.
    const unfinished = await answerToUnfinishedBody(`${limited.url}${ROUTE}?token=${TOKENS.boxA}`, { 'content-type': 'application/json' }, 8 * MiB, 1024);
    assert.equal(unfinished.status, 429);
    assert.ok(Number(unfinished.headers['retry-after']) >= 1);

    assert.equal(await metric(limited, 'gateway_request_body_bytes_total'), bytesBefore, 'no body byte was read');
    assert.equal((await post(limited.url + ROUTE, event('BOX-B'), { token: TOKENS.boxB })).status, 200, 'another token is unaffected');
  });

  test('unauthenticated requests are refused 401 and do not spend a token’s budget', async () => {
    const answer = await post(limited.url + ROUTE, event('BOX-B'), { token: 'not-a-token' });
    assert.equal(answer.status, 401);
    assert.equal((await post(limited.url + ROUTE, event('BOX-B'), { token: TOKENS.boxB })).status, 200);
  });
});

describe('in-flight bytes per client', () => {
  let gateway: RunningGateway;
  before(async () => {
    // One client may hold the larger of a body (16 MiB) and a quarter of the budget (12 MiB).
    gateway = await startTestGateway(bed.kafka, { GATEWAY_MAX_BODY_BYTES: String(16 * MiB), GATEWAY_MAX_INFLIGHT_BYTES: String(48 * MiB) });
  });
  after(() => gateway?.shutdown.stop('test over'));

  /** An upload that declares `declared` bytes, sends 1 KiB and then nothing (a slow or hostile client). */
  const holdOpen = (token: string, declared: number) => {
    const req = request(`${gateway.url}${ROUTE}?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(declared) } });
    req.on('error', () => {}); // destroyed at the end of the test
    req.write(Buffer.alloc(1024, 0x20));
    return req;
  };

  test('a box holding slow uploads cannot take the budget every other box needs', { timeout: 30_000 }, async () => {
    const held = [holdOpen(TOKENS.boxA, 16 * MiB), holdOpen(TOKENS.boxA, 16 * MiB), holdOpen(TOKENS.boxA, 16 * MiB)];
    try {
      await waitFor(async () => (await metric(gateway, 'gateway_inflight_requests')) >= 1, 'the first slow upload admitted');
      await new Promise((resolve) => setTimeout(resolve, 300)); // the other two reach the gate too
      assert.equal(await metric(gateway, 'gateway_inflight_bytes'), 16 * MiB, 'only one of box A\'s slow uploads holds bytes');

      const other = await post(gateway.url + ROUTE, event('BOX-B'), { token: TOKENS.boxB });
      assert.equal(other.status, 200, other.text);

      const more = await answerToUnfinishedBody(`${gateway.url}${ROUTE}?token=${TOKENS.boxA}`, { 'content-type': 'application/json' }, MiB, 1024);
      assert.equal(more.status, 503);
      assert.equal(more.headers['retry-after'], '20');
      assert.match(more.json.error.message, /as many request bytes in flight as one client may/);
    } finally {
      for (const req of held) req.destroy();
    }
    await waitFor(async () => (await metric(gateway, 'gateway_inflight_bytes')) === 0, 'every byte released');
  });
});

describe('nesting depth on the raw bytes', () => {
  /** Counts JSON.parse calls on large texts while `run` runs: the gateway is in this process. */
  async function bigParsesDuring(run: () => Promise<void>): Promise<number> {
    const original = JSON.parse;
    let calls = 0;
    JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      if (typeof text === 'string' && text.length > 100_000) calls++;
      return original(text, reviver);
    }) as typeof JSON.parse;
    try {
      await run();
    } finally {
      JSON.parse = original;
    }
    return calls;
  }

  test('8 MB of "[" is refused with 400 naming the depth (?strict=1), without JSON.parse', async () => {
    const parses = await bigParsesDuring(async () => {
      const answer = await post(`${bed.gateway.url}${ROUTE}?strict=1`, undefined, { token: TOKENS.boxA, raw: '['.repeat(8 * MiB) });
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.equal(answer.json.error.status, 'INVALID_ARGUMENT');
      assert.match(answer.json.error.message, /nesting is deeper than 16 levels/);
    });
    assert.equal(parses, 0, 'the body was never parsed');
  });

  test('well-formed deep nesting is quarantined with the depth named (a box hears 200), before parsing', async () => {
    const parses = await bigParsesDuring(async () => {
      const depth = 200_000;
      const answer = await post(bed.gateway.url + ROUTE, undefined, { token: TOKENS.boxA, raw: '['.repeat(depth) + ']'.repeat(depth) });
      assert.equal(answer.status, 200, answer.text.slice(0, 300));
      assert.equal(answer.json.data.status, 'quarantined');
      assert.match(answer.json.data.errors[0].message, /deeper than 16 levels/);
    });
    assert.equal(parses, 0, 'the body was never parsed');
  });

  test('brackets inside strings do not count, and an event at the limit is accepted', async () => {
    const e = event();
    e.ext_data.note = '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{{\\"[[[[[[[[[[[[[[[[[[[[';
    let nested: unknown = 1;
    for (let i = 0; i < 12; i++) nested = [nested];
    e.ext_data.deep = nested;
    const answer = await post(bed.gateway.url + ROUTE, e, { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe('metric series', () => {
  test('case variants and trailing slashes of the upload path are not routes and add no series', async () => {
    const variants = ['/eventserver/api/historyevent', '/EVENTSERVER/API/HISTORYEVENT', '/EventServer/api/HistoryEvent/', '/historyevent', '/HistoryEvent/', '/EventServer/API/HistoryEvent'];
    for (const path of variants) {
      const answer = await post(bed.gateway.url + path, event(), {});
      assert.equal(answer.status, 404, `${path}: ${answer.text}`);
    }
    assert.equal((await post(bed.gateway.url + ROUTE, event(), { token: TOKENS.boxA })).status, 200);
    assert.equal((await post(`${bed.gateway.url}/HistoryEvent`, event(), {})).status, 401);

    const text = await fetchMetrics(bed.gateway.url);
    const routes = new Set([...text.matchAll(/^gateway_http_requests_total\{[^}]*route="([^"]*)"/gm)].map((match) => match[1]));
    const known = new Set(['/EventServer/api/HistoryEvent', '/HistoryEvent', '/healthz', '/readyz', '/metrics', 'unmatched']);
    assert.deepEqual([...routes].filter((route) => !known.has(route!)), [], 'only route patterns label the series');
    assert.ok(routes.has(ROUTE) && routes.has('/HistoryEvent') && routes.has('unmatched'), [...routes].join(', '));
  });
});

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { gatewayTestBed, post, startTestGateway, TOKENS } from './harness.js';

const ROUTE = '/EventServer/api/HistoryEvent';
const LIMITS = {
  GATEWAY_MAX_BODY_BYTES: String(1024 * 1024),
  GATEWAY_MAX_PICTURE_BYTES: String(64 * 1024),
  GATEWAY_MAX_EVENTS_PER_REQUEST: '10',
  GATEWAY_MAX_JSON_DEPTH: '16',
};

const bed = gatewayTestBed({ gatewayEnv: LIMITS });

function valid(): any {
  const event = structuredClone(sampleHistoryEvent()) as any;
  event.ext_data.dev_sno = 'BOX-A';
  event.ext_data.ep_id = 'BOX-A__192.168.1.101';
  return event;
}
function edit(change: (event: any) => void) {
  const event = valid();
  change(event);
  return event;
}
const nested = (depth: number) => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

interface Case {
  name: string;
  body?: unknown;
  raw?: Buffer | string;
  token?: string | null;
  headers?: Record<string, string>;
  path?: string;
  method?: string;
  status: number;
  /** The answer's error message must match; names the field and says why. */
  message: RegExp;
  /** JSON pointers the answer's errors must name. */
  pointers?: string[];
  /**
   * The body is kept in quarantine: by default the answer is 200 with status "quarantined" (a box
   * re-sends anything else forever); with ?strict=1 it is `status` (400) as an error.
   */
  quarantined?: boolean;
}

const cases: Case[] = [
  // Malformed bodies
  { name: 'truncated JSON', raw: '{"identity_id": "1"', status: 400, quarantined: true, message: /not valid JSON/ },
  { name: 'trailing comma', raw: '{"identity_id": "1",}', status: 400, quarantined: true, message: /not valid JSON/ },
  { name: "the spec's Python-style example", raw: "{'score': 0.16, 'reg_pic': ''}", status: 400, quarantined: true, message: /not valid JSON/ },
  { name: 'empty body', raw: '', status: 400, quarantined: true, message: /empty/ },
  { name: 'JSON null', raw: 'null', status: 400, quarantined: true, message: /must be a JSON object/ },
  { name: 'a bare number', raw: '42', status: 400, quarantined: true, message: /must be a JSON object/ },
  { name: 'a bare string', raw: '"event"', status: 400, quarantined: true, message: /must be a JSON object/ },
  { name: 'an empty batch', raw: '[]', status: 400, message: /empty/ },
  { name: 'binary garbage', raw: Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x81]), status: 400, quarantined: true, message: /not valid JSON/ },
  { name: 'NaN literal', raw: '{"score": NaN}', status: 400, quarantined: true, message: /not valid JSON/ },
  { name: 'a batch of non-objects', body: [1, 2], status: 400, quarantined: true, message: /invalid/, pointers: [] },
  // Wrong types
  { name: 'timestamp is not a number', body: edit((e) => (e.timestamp = 'yesterday')), status: 400, quarantined: true, message: /\/timestamp/, pointers: ['/timestamp'] },
  { name: 'timestamp is negative', body: edit((e) => (e.timestamp = -5)), status: 400, quarantined: true, message: /\/timestamp/, pointers: ['/timestamp'] },
  { name: 'score is a word', body: edit((e) => (e.score = 'high')), status: 400, quarantined: true, message: /\/score/, pointers: ['/score'] },
  { name: 'want_action unknown', body: edit((e) => (e.want_action = '7')), status: 400, quarantined: true, message: /\/want_action/, pointers: ['/want_action'] },
  { name: 'ext_data is a string', body: edit((e) => (e.ext_data = 'BOX-A')), status: 400, quarantined: true, message: /\/ext_data/ },
  { name: 'person_type out of range', body: edit((e) => (e.ext_data.person_type = 9)), status: 400, quarantined: true, message: /person_type/, pointers: ['/ext_data/person_type'] },
  { name: 'person_type is a word', body: edit((e) => (e.ext_data.person_type = 'staff')), status: 400, quarantined: true, message: /person_type/, pointers: ['/ext_data/person_type'] },
  { name: 'identity_id is an object', body: edit((e) => (e.identity_id = { id: 1 })), status: 400, quarantined: true, message: /\/identity_id/, pointers: ['/identity_id'] },
  { name: 'feature holds a string', body: edit((e) => (e.ext_data.info = { feature: ['a', 0.1] })), status: 400, quarantined: true, message: /feature/ },
  { name: 'box has two numbers', body: edit((e) => (e.ext_data.info = { box: [1, 2] })), status: 400, quarantined: true, message: /box/ },
  { name: 'fiqa_result is "maybe"', body: edit((e) => (e.ext_data.fiqa_result = 'maybe')), status: 400, quarantined: true, message: /fiqa_result/ },
  { name: 'age is not a known band', body: edit((e) => (e.ext_data.info = { age: 'baby' })), status: 400, quarantined: true, message: /age/ },
  { name: 'device_type is a word', body: edit((e) => (e.ext_data.device_type = 'gate')), status: 400, quarantined: true, message: /device_type/ },
  // Missing required fields
  ...['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'ext_data'].map(
    (field): Case => ({ name: `${field} missing`, body: edit((e) => delete e[field]), status: 400, quarantined: true, message: new RegExp(`/${field}`), pointers: [`/${field}`] }),
  ),
  ...['device_ip', 'device_type'].map(
    (field): Case => ({
      name: `ext_data.${field} missing`,
      body: edit((e) => delete e.ext_data[field]),
      status: 400, quarantined: true,
      message: new RegExp(`/ext_data/${field}`),
      pointers: [`/ext_data/${field}`],
    }),
  ),
  {
    name: 'dev_sno and ep_id missing, token bound to no device',
    body: edit((e) => {
      delete e.ext_data.dev_sno;
      delete e.ext_data.ep_id;
    }),
    token: TOKENS.any,
    status: 400, quarantined: true,
    message: /\/ext_data\/dev_sno/,
  },
  // Pictures
  { name: 'picture is not base64', body: edit((e) => (e.ext_data.spot_pic = '@@@@not-base64@@@@')), status: 400, quarantined: true, message: /\/ext_data\/spot_pic.*base64/ },
  { name: 'picture is text, not an image', body: edit((e) => (e.reg_pic = Buffer.from('hello, this is not a picture').toString('base64'))), status: 400, quarantined: true, message: /\/reg_pic.*not an image/ },
  { name: 'picture is a number', body: edit((e) => (e.ext_data.ir_pic = 12345)), status: 400, quarantined: true, message: /\/ext_data\/ir_pic/ },
  { name: 'picture over the size limit', body: edit((e) => (e.ext_data.spot_pic = tinyImage('jpeg', 80 * 1024).toString('base64'))), status: 400, quarantined: true, message: /\/ext_data\/spot_pic.*65536/ },
  // Size and structure
  { name: 'body over the size limit', raw: JSON.stringify({ ...valid(), padding: 'x'.repeat(1024 * 1024) }), status: 413, message: /larger than 1048576 bytes/ },
  { name: 'gzip body (never inflated: it would bypass the in-flight budget)', raw: gzipSync(JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) })), headers: { 'content-encoding': 'gzip' }, status: 415, message: /"gzip" is not accepted/ },
  { name: 'deep nesting', body: edit((e) => (e.ext_data.deep = nested(40))), status: 400, quarantined: true, message: /deeper than 16/ },
  { name: '__proto__ key', raw: '{"identity_id":"1","__proto__":{"admin":true}}', status: 400, quarantined: true, message: /"__proto__" is not allowed/ },
  { name: 'constructor key in ext_data', raw: JSON.stringify({ ext_data: { constructor: { prototype: { polluted: true } } } }), status: 400, quarantined: true, message: /"constructor" is not allowed/ },
  { name: 'prototype key', raw: '{"prototype": 1}', status: 400, quarantined: true, message: /"prototype" is not allowed/ },
  {
    name: 'an object with 50 000 keys (seconds of work once, for every other box waiting)',
    body: edit((e) => (e.ext_data.extra = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])))),
    status: 400, quarantined: true,
    message: /\/ext_data\/extra: has 50000 keys, more than the 1000 an object may have/,
  },
  { name: 'more events than allowed', body: Array.from({ length: 11 }, valid), status: 413, message: /at most 10 events/ },
  { name: 'a huge array', raw: `[${'1,'.repeat(200_000)}1]`, status: 413, message: /larger than|at most 10 events/ },
  { name: 'corrupt gzip', raw: Buffer.from('definitely not gzip'), headers: { 'content-encoding': 'gzip' }, status: 415, message: /"gzip" is not accepted/ },
  { name: 'unsupported content encoding', raw: '{}', headers: { 'content-encoding': 'compress' }, status: 415, message: /encoding/ },
  // Authentication and authorisation
  { name: 'no token', body: valid(), token: null, status: 401, message: /token is required/ },
  { name: 'unknown token', body: valid(), token: 'not-a-token', status: 401, message: /not valid/ },
  { name: 'unknown bearer token', body: valid(), token: null, headers: { authorization: 'Bearer nope' }, status: 401, message: /not valid/ },
  { name: 'token of box A posting as box B', body: edit((e) => (e.ext_data.dev_sno = 'BOX-B')), status: 403, message: /bound to device BOX-A.*BOX-B/ },
  { name: 'a batch smuggling one event for box B', body: [valid(), edit((e) => (e.ext_data.dev_sno = 'BOX-B'))], status: 403, message: /BOX-B/ },
  { name: 'token of box A, ep_id of box B', body: edit((e) => { delete e.ext_data.dev_sno; e.ext_data.ep_id = 'BOX-B__10.0.0.1'; }), status: 403, message: /BOX-B/ },
  // Routes
  { name: 'GET on the upload path', method: 'GET', status: 404, message: /no route for GET/ },
  { name: 'unknown path', path: '/EventServer/api/Nope', body: valid(), status: 404, message: /no route/ },
];

async function send(c: Case, query: Record<string, string> = {}) {
  const url = new URL(bed.gateway.url + (c.path ?? ROUTE));
  const token = c.token === undefined ? TOKENS.boxA : c.token;
  if (token !== null) url.searchParams.set('token', token);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const method = c.method ?? 'POST';
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...c.headers },
    body: method === 'GET' ? undefined : c.raw !== undefined ? c.raw : JSON.stringify(c.body),
  });
  const text = await response.text();
  return { status: response.status, text, answer: JSON.parse(text) };
}

const describeErrors = (errors: { pointer: string; message: string }[]) => errors.map((e) => `${e.pointer} ${e.message}`).join('; ');

describe('bad input gets a clear answer and harms nothing', () => {
  test(`the suite has at least 40 cases (${cases.length})`, () => assert.ok(cases.length >= 40));

  for (const c of cases) {
    test(`${c.status} for ${c.name}${c.quarantined ? ' (?strict=1)' : ''}`, async () => {
      const { status, text, answer } = await send(c, c.quarantined ? { strict: '1' } : {});
      assert.equal(status, c.status, text.slice(0, 500));
      assert.equal(answer.error.code, c.status);
      assert.equal(typeof answer.error.status, 'string');
      assert.match(answer.error.message, c.message);
      for (const pointer of c.pointers ?? []) {
        assert.ok(
          answer.error.errors.some((e: { pointer: string }) => e.pointer === pointer),
          `errors name ${pointer}: ${JSON.stringify(answer.error.errors)}`,
        );
      }
    });
    if (!c.quarantined) continue;
    test(`200 "quarantined" for ${c.name}`, async () => {
      const { status, text, answer } = await send(c);
      assert.equal(status, 200, text.slice(0, 500));
      if (Array.isArray(c.body)) {
        assert.equal(answer.data.accepted, 0, text);
        assert.equal(answer.data.quarantined, c.body.length, text);
        assert.ok(answer.data.events.every((e: { status: string; errors: unknown[] }) => e.status === 'quarantined' && e.errors.length > 0), text);
        return;
      }
      assert.equal(answer.data.status, 'quarantined', text);
      assert.equal(answer.data.event_id, undefined, 'a quarantined event has no id');
      assert.match(describeErrors(answer.data.errors), c.message);
      for (const pointer of c.pointers ?? []) {
        assert.ok(answer.data.errors.some((e: { pointer: string }) => e.pointer === pointer), `errors name ${pointer}: ${text}`);
      }
    });
  }

  test('afterwards the gateway is healthy and accepts a valid event', async () => {
    assert.equal((await fetch(`${bed.gateway.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${bed.gateway.url}/readyz`)).status, 200);
    const answer = await post(bed.gateway.url + ROUTE, valid(), { token: TOKENS.boxA });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe('rate limit', () => {
  test('a device over its rate gets 429 with Retry-After; other devices are unaffected', async () => {
    const limited = await startTestGateway(bed.kafka, { GATEWAY_RATE_LIMIT_EVENTS: '3', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60' });
    try {
      const batch = [valid(), valid(), valid()];
      assert.equal((await post(limited.url + ROUTE, batch, { token: TOKENS.boxA })).status, 200);
      const over = await post(limited.url + ROUTE, valid(), { token: TOKENS.boxA });
      assert.equal(over.status, 429);
      assert.match(over.json.error.message, /BOX-A is over its rate limit of 3 events per 60 s/);
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      const other = edit((e) => {
        e.ext_data.dev_sno = 'BOX-B';
        e.ext_data.ep_id = 'BOX-B__192.168.1.102';
      });
      assert.equal((await post(limited.url + ROUTE, other, { token: TOKENS.boxB })).status, 200);
    } finally {
      await limited.shutdown.stop('test over');
    }
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

test('lines are JSON with service, level label and time', () => {
  const { lines, destination } = capture();
  createLogger({ service: 'gateway', destination }).info({ eventId: 'abc' }, 'accepted');
  assert.equal(lines[0]?.service, 'gateway');
  assert.equal(lines[0]?.level, 'info');
  assert.equal(lines[0]?.msg, 'accepted');
  assert.equal(lines[0]?.eventId, 'abc');
  assert.match(String(lines[0]?.time), /^\d{4}-\d\d-\d\dT/);
});

test('picture bytes and base64 never reach the log', () => {
  const { lines, destination } = capture();
  const base64 = Buffer.alloc(30_000, 7).toString('base64');
  createLogger({ service: 't', destination }).warn({ picture: Buffer.alloc(30_000), event: { ext_data: { spot_pic: base64 } } }, 'x');
  const text = JSON.stringify(lines[0]);
  assert.ok(text.length < 1000, `log line is ${text.length} chars`);
  assert.equal(lines[0]?.picture, '[30000 bytes]');
  assert.match(JSON.stringify(lines[0]?.event), /\[40000 chars\]/);
});

test('tokens are redacted', () => {
  const { lines, destination } = capture();
  createLogger({ service: 't', destination }).info({ req: { headers: { authorization: 'Bearer s3cret' }, query: { token: 's3cret' } } }, 'x');
  assert.ok(!JSON.stringify(lines[0]).includes('s3cret'));
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildQuarantineMessage, MAX_QUARANTINE_RECORD_BYTES } from '../src/index.js';
import { tinyImage } from '../src/testing.js';

const errors = [{ pointer: '/score', message: 'must be a number (got "x")' }];

describe('buildQuarantineMessage', () => {
  it('keeps the raw event, the errors and where it came from, keyed by dev_sno', () => {
    const raw = { score: 'x', ext_data: { dev_sno: 'BOX1' } };
    const message = buildQuarantineMessage({
      topic: 'history-events-quarantine',
      receivedAt: 1_700_000_000_000,
      adapter: 'history-event',
      errors,
      raw,
      devSno: 'BOX1',
      path: '/EventServer/api/HistoryEvent',
      remoteAddress: '192.168.1.151',
    });
    assert.equal(message.topic, 'history-events-quarantine');
    assert.equal(message.key, 'BOX1');
    assert.deepEqual(message.headers, { 'schema-version': '1', 'content-type': 'application/json', adapter: 'history-event', 'dev-sno': 'BOX1' });
    assert.deepEqual(JSON.parse(message.value.toString('utf8')), {
      schema_version: 1,
      kind: 'quarantine',
      adapter: 'history-event',
      received_at: 1_700_000_000_000,
      path: '/EventServer/api/HistoryEvent',
      remote_address: '192.168.1.151',
      dev_sno: 'BOX1',
      errors,
      raw,
    });
  });

  it('keys by "unknown" and keeps the text when the body was not JSON', () => {
    const message = buildQuarantineMessage({
      topic: 'q',
      receivedAt: 1,
      adapter: 'history-event',
      errors: [{ pointer: '', message: 'is not JSON' }],
      raw: undefined,
      rawText: "{'score': 0.16}",
      path: '/HistoryEvent',
    });
    assert.equal(message.key, 'unknown');
    assert.equal(message.headers['dev-sno'], undefined);
    assert.deepEqual(JSON.parse(message.value.toString('utf8')), {
      schema_version: 1,
      kind: 'quarantine',
      adapter: 'history-event',
      received_at: 1,
      path: '/HistoryEvent',
      errors: [{ pointer: '', message: 'is not JSON' }],
      raw_text: "{'score': 0.16}",
    });
  });

  it('keeps a raw value that is JSON null (not the same as no value)', () => {
    const message = buildQuarantineMessage({ topic: 'q', receivedAt: 1, adapter: 'a', errors, raw: null, path: '/' });
    assert.equal((JSON.parse(message.value.toString('utf8')) as Record<string, unknown>)['raw'], null);
  });
});

describe('buildQuarantineMessage keeps records small', () => {
  const build = (input: Partial<Parameters<typeof buildQuarantineMessage>[0]>) =>
    buildQuarantineMessage({ topic: 'q', receivedAt: 1, adapter: 'history-event', errors, raw: undefined, path: '/', ...input });
  const valueOf = (message: { value: Buffer }) => JSON.parse(message.value.toString('utf8'));

  it('replaces a base64 picture by its size, SHA-256 and type, and keeps short values as sent', () => {
    const picture = tinyImage('jpeg', 3 * 1024 * 1024);
    const raw = { score: 'x', reg_pic: '', ext_data: { dev_sno: 'BOX1', spot_pic: `data:image/jpeg;base64,${picture.toString('base64')}` } };
    const message = build({ raw });
    assert.ok(message.value.length < 2000, `${message.value.length} bytes`);
    assert.deepEqual(valueOf(message).raw, {
      score: 'x',
      reg_pic: '',
      ext_data: {
        dev_sno: 'BOX1',
        spot_pic: { omitted: 'base64', bytes: picture.length, sha256: createHash('sha256').update(picture).digest('hex'), content_type: 'image/jpeg' },
      },
    });
  });

  it('summarises long text that is not base64 by length, hash and head', () => {
    const text = 'not base64! '.repeat(100);
    const { raw } = valueOf(build({ raw: { note: text } }));
    assert.equal(raw.note.omitted, 'text');
    assert.equal(raw.note.chars, text.length);
    assert.equal(raw.note.head, text.slice(0, 64));
  });

  it('bounds the whole record: a huge raw value becomes its size, hash and head', () => {
    const raw = { ext_data: { info: { feature: Array.from({ length: 300_000 }, (_, i) => i) } } };
    const message = build({ raw, maxBytes: 64 * 1024 });
    assert.ok(message.value.length <= 64 * 1024, `${message.value.length} bytes`);
    const kept = valueOf(message);
    assert.equal(kept.raw.omitted, 'text');
    assert.equal(kept.raw.chars, JSON.stringify(raw).length);
    assert.deepEqual(kept.errors, errors);
  });

  it('bounds an unreadable body, binary or not, and says how long it was', () => {
    for (const rawText of ['{'.repeat(3_000_000), '\u0001'.repeat(1_000_000)]) {
      const message = build({ rawText, maxBytes: 100_000 });
      assert.ok(message.value.length <= 100_000, `${message.value.length} bytes`);
      const kept = valueOf(message);
      assert.ok(rawText.startsWith(kept.raw_text) && kept.raw_text.length > 1000);
      assert.deepEqual(kept.raw_text_omitted, { chars: rawText.length, sha256: createHash('sha256').update(rawText).digest('hex') });
    }
  });

  it('fits the default bound (512 KiB) whatever it is given', () => {
    const message = build({ raw: Array.from({ length: 5000 }, () => ({ k: 'v'.repeat(200) })) });
    assert.ok(message.value.length <= MAX_QUARANTINE_RECORD_BYTES);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildQuarantineMessage } from '../src/index.js';

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

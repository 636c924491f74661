import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ContractError,
  createHistoryEventAdapter,
  decodeHistoryEventMessage,
  decodeImageMessageHeaders,
  DEFAULT_TOPICS,
  type OutboundMessage,
} from '../src/index.js';
import { sampleHistoryEvent } from '../src/testing.js';

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });

function publish(): OutboundMessage[] {
  const result = adapter.parse(sampleHistoryEvent(), { receivedAt: 1_700_000_000_000 });
  assert.ok(result.ok);
  return result.messages;
}

function eventBody(): Record<string, unknown> {
  const message = publish().at(-1);
  assert.ok(message);
  return JSON.parse(message.value.toString('utf8')) as Record<string, unknown>;
}

function decodeFailure(value: Buffer): ContractError {
  try {
    decodeHistoryEventMessage(value);
  } catch (error) {
    assert.ok(error instanceof ContractError);
    return error;
  }
  assert.fail('expected a ContractError');
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeHistoryEventMessage', () => {
  it('returns what the adapter published', () => {
    const body = eventBody();
    assert.deepEqual(decodeHistoryEventMessage(encode(body)), body);
  });

  it('refuses a value that is not JSON', () => {
    const error = decodeFailure(Buffer.from('{"schema_version":'));
    assert.equal(error.message, 'history-events message is not JSON');
    assert.equal(error.name, 'ContractError');
    assert.ok(error.cause instanceof SyntaxError);
  });

  it('refuses another schema version or kind', () => {
    assert.equal(decodeFailure(encode({ ...eventBody(), schema_version: 2 })).message, 'invalid history-events message: /schema_version must be 1 (got 2)');
    assert.equal(decodeFailure(encode({ ...eventBody(), kind: 'x' })).message, 'invalid history-events message: /kind must be "history-event" (got "x")');
  });

  it('validates the event with the HistoryEvent schema', () => {
    const body = eventBody();
    const event = body['event'] as Record<string, Record<string, unknown>>;
    const { dev_sno: _devSno, ...extData } = event['ext_data'] ?? {};
    const error = decodeFailure(encode({ ...body, event: { ...event, ext_data: extData, timestamp: 12 } }));
    assert.deepEqual(error.errors, [
      { pointer: '/event/timestamp', message: 'must be an integer number of milliseconds from 2000-01-01 to 2100-01-01 UTC (got 12)' },
      { pointer: '/event/ext_data/dev_sno', message: 'is required' },
    ]);
    assert.match(error.message, /\/event\/ext_data\/dev_sno is required/);
  });

  it('validates envelope fields and picture references', () => {
    const body = eventBody();
    const [first] = body['pictures'] as Record<string, unknown>[];
    const error = decodeFailure(encode({ ...body, event_id: 'ABC', received_at: undefined, pictures: [{ ...first, sha256: 'nope', kind: 'thumb' }] }));
    assert.deepEqual(
      error.errors.map((fieldError) => fieldError.pointer),
      ['/received_at', '/event_id', '/pictures/0/kind', '/pictures/0/sha256'],
    );
    assert.equal(error.errors[0]?.message, 'is required');
  });

  it('refuses a top level that is not an object', () => {
    assert.equal(decodeFailure(encode([1])).message, 'invalid history-events message: (message) must be an object (got an array of 1 items)');
  });
});

describe('decodeImageMessageHeaders', () => {
  const imageHeaders = () => {
    const image = publish()[0];
    assert.ok(image);
    return image.headers;
  };

  it('reads the headers as Kafka clients deliver them (Buffers)', () => {
    const headers = imageHeaders();
    const asBuffers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));
    assert.deepEqual(decodeImageMessageHeaders(asBuffers), headers);
  });

  it('refuses missing headers, unknown picture kinds and other schema versions', () => {
    const headers = imageHeaders();
    assert.throws(() => decodeImageMessageHeaders({ ...headers, 'object-key': undefined }), {
      name: 'ContractError',
      message: 'event-images message has no "object-key" header',
    });
    assert.throws(() => decodeImageMessageHeaders({ ...headers, 'picture-kind': 'thumb' }), /unknown picture-kind "thumb"/);
    assert.throws(() => decodeImageMessageHeaders({ ...headers, 'schema-version': ['2'] }), /schema-version "2", expected "1"/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyEventSchema, jsonPointer } from '../src/index.js';
import { sampleHistoryEvent } from '../src/testing.js';
import { failed } from './helpers.js';

type Node = Record<string, unknown>;

function* propertyNodes(node: Node, path: string): Generator<[string, Node]> {
  const properties = (node['properties'] ?? {}) as Record<string, Node>;
  for (const [name, child] of Object.entries(properties)) {
    yield [`${path}/${name}`, child];
    yield* propertyNodes(child, `${path}/${name}`);
  }
}

describe('historyEventSchema', () => {
  it('documents every property with a title', () => {
    const untitled = [...propertyNodes(historyEventSchema, '')].filter(([, node]) => typeof node['title'] !== 'string').map(([path]) => path);
    assert.deepEqual(untitled, []);
  });

  it('never forbids unknown properties', () => {
    const closed = [...propertyNodes(historyEventSchema, '')].filter(([, node]) => 'additionalProperties' in node).map(([path]) => path);
    assert.deepEqual(closed, []);
    assert.equal('additionalProperties' in historyEventSchema, false);
  });

  it('requires the fields the spec marks as required', () => {
    assert.deepEqual(historyEventSchema['required'], ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action', 'ext_data']);
    const extData = (historyEventSchema['properties'] as Record<string, Node>)['ext_data'];
    assert.deepEqual(extData?.['required'], ['device_ip', 'ep_id', 'dev_sno', 'person_type', 'device_type']);
  });

  it('describes the known device types', () => {
    const extData = (historyEventSchema['properties'] as Record<string, Node>)['ext_data'] as Node;
    const deviceType = (extData['properties'] as Record<string, Node>)['device_type'] as Node;
    assert.match(String(deviceType['description']), /"0" gate, "1" snapshot camera, "3" IPC \(dynamic\), "4" access control/);
  });
});

describe('schema errors', () => {
  const cases: [string, Record<string, unknown>, { pointer: string; message: string }[]][] = [
    ['missing top-level fields point at the field', { identity_id: undefined, score: undefined }, [
      { pointer: '/identity_id', message: 'is required' },
      { pointer: '/score', message: 'is required' },
    ]],
    // Without ext_data the body is no longer recognisably V5R3C01: the format answer names what it lacks.
    ['missing ext_data', { ext_data: undefined }, [
      { pointer: '', message: 'matches no known event format (tried V5R3C01, V2R2C01, V5R6C01, V6R2C01); the closest, V5R3C01, lacks ext_data' },
      { pointer: '/ext_data', message: 'is required' },
    ]],
    ['missing ext_data field', { ext_data: { device_ip: undefined, ep_id: 'X__1.2.3.4' } }, [{ pointer: '/ext_data/device_ip', message: 'is required' }]],
    ['ext_data of the wrong type', { ext_data: 'x' }, [{ pointer: '/ext_data', message: 'must be an object (got "x")' }]],
    ['string field of the wrong type', { identity_name: { first: 'Tom' }, group_name: ['a'] }, [
      { pointer: '/identity_name', message: 'must be a string (got an object)' },
      { pointer: '/group_name', message: 'must be a string (got an array of 1 items)' },
    ]],
    ['null in a required field', { identity_id: null }, [{ pointer: '/identity_id', message: 'must be a string (got null)' }]],
    ['boolean score', { score: true }, [{ pointer: '/score', message: 'must be a number (got true)' }]],
    ['too long a name', { identity_name: 'n'.repeat(513) }, [{ pointer: '/identity_name', message: 'must be at most 512 characters long (got 513 characters)' }]],
    ['empty dev_sno and ep_id count as missing', { ext_data: { dev_sno: '', ep_id: '' } }, [
      { pointer: '/ext_data/ep_id', message: 'is required' },
      { pointer: '/ext_data/dev_sno', message: 'is required' },
    ]],
    ['device_ip of the wrong type', { ext_data: { device_ip: 192 } }, [{ pointer: '/ext_data/device_ip', message: 'must be a string (got 192)' }]],
    ['info of the wrong type', { ext_data: { info: 'none' } }, [{ pointer: '/ext_data/info', message: 'must be an object (got "none")' }]],
    ['unknown gender', { ext_data: { info: { gender: 'm' } } }, [{ pointer: '/ext_data/info/gender', message: 'must be one of "male", "female" (got "m")' }]],
    ['unknown glasses value', { ext_data: { info: { glasses: true } } }, [{ pointer: '/ext_data/info/glasses', message: 'must be one of "yes", "no" (got true)' }]],
    ['box of 3 numbers', { ext_data: { info: { box: [1, 2, 3] } } }, [
      { pointer: '/ext_data/info/box', message: 'must be an array of exactly 4 numbers [x1, y1, x2, y2] (got 3 items)' },
    ]],
    ['box with a string', { ext_data: { info: { box: [1, 2, 3, '4'] } } }, [{ pointer: '/ext_data/info/box/3', message: 'must be a number (got "4")' }]],
    ['feature too long', { ext_data: { info: { feature: new Array<number>(4097).fill(0) } } }, [
      { pointer: '/ext_data/info/feature', message: 'must be an array of at most 4096 numbers (got 4097 items)' },
    ]],
    ['feature not a list', { ext_data: { info: { feature: 'abc' } } }, [
      { pointer: '/ext_data/info/feature', message: 'must be an array of at most 4096 numbers (got "abc")' },
    ]],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => assert.deepEqual(failed(sampleHistoryEvent(overrides)).errors, expected));
  }

  it('shortens long values in messages', () => {
    const [error] = failed(sampleHistoryEvent({ timestamp: 'x'.repeat(1000) })).errors;
    assert.ok(error && error.message.endsWith(`(got "${'x'.repeat(40)}…")`), error?.message);
  });
});

describe('jsonPointer', () => {
  it('escapes "~" and "/" as RFC 6901 says', () => {
    assert.equal(jsonPointer('ext_data', 'a/b', 'c~d', 3), '/ext_data/a~1b/c~0d/3');
    assert.equal(jsonPointer(), '');
  });
});

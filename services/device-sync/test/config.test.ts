import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBoxAddresses } from '../src/box-directory.js';
import { loadDeviceSyncConfig } from '../src/config.js';
import { useRegistryAddresses } from '../src/device-sync.js';
import { parseSites, targetBoxes } from '../src/targets.js';

const base = { S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' };

test('targets: the source box by default, its site, or the configured list', () => {
  const sites = parseSites('north=DEV1 DEV2|DEV3; south=DEV4');
  assert.deepEqual(targetBoxes({ kind: 'source' }, 'DEV2'), ['DEV2']);
  assert.deepEqual(targetBoxes({ kind: 'site', sites }, 'DEV2'), ['DEV2', 'DEV1', 'DEV3']);
  assert.deepEqual(targetBoxes({ kind: 'site', sites }, 'DEV9'), ['DEV9']);
  assert.deepEqual(targetBoxes({ kind: 'list', boxes: ['DEV4', 'DEV4', 'DEV5'] }, 'DEV1'), ['DEV4', 'DEV5']);
  assert.throws(() => parseSites('a=DEV1;b=DEV1'), /DEV1 is in more than one site/);
});

test('box addresses: host[:port], port 5555 by default; bad entries name the box and why', () => {
  assert.deepEqual([...parseBoxAddresses('DEV1=10.0.0.5, DEV2=box2.site:8080,DEV3=[fd00::5]')], [
    ['DEV1', 'http://10.0.0.5:5555'],
    ['DEV2', 'http://box2.site:8080'],
    ['DEV3', 'http://[fd00::5]:5555'],
  ]);
  assert.throws(() => parseBoxAddresses('DEV1=10.0.0.5/path'), /box address of DEV1 .* must be host\[:port\]/);
  assert.throws(() => parseBoxAddresses('10.0.0.5'), /must be DEVSNO=host\[:port\]/);
});

test('config: bad settings fail start-up naming the variable; the box password is never echoed', () => {
  assert.throws(() => loadDeviceSyncConfig({ ...base, DEVICE_SYNC_BOX_ADDRESSES: 'DEV1=' }), /DEVICE_SYNC_BOX_ADDRESSES: box address "DEV1=" must be DEVSNO=host\[:port\]/);
  assert.throws(() => loadDeviceSyncConfig({ ...base, DEVICE_SYNC_TARGET_POLICY: 'list' }), /DEVICE_SYNC_TARGET_BOXES: must name at least one box/);
  assert.throws(
    () => loadDeviceSyncConfig({ ...base, DEVICE_SYNC_BOX_PASSWORD: 'hunter2', DEVICE_SYNC_BOX_TIMEOUT_MS: 'soon' }),
    (error: Error) => /DEVICE_SYNC_BOX_TIMEOUT_MS/.test(error.message) && !error.message.includes('hunter2'),
  );
  const config = loadDeviceSyncConfig(base);
  assert.equal(config.DEVICE_SYNC_TARGET_POLICY, 'source');
  assert.equal(config.OPS_PORT, 9604);
});

test('registry addresses: on by default, off by default once box credentials are set; an explicit value wins', () => {
  const uses = (vars: Record<string, string>) => useRegistryAddresses(loadDeviceSyncConfig({ ...base, ...vars }));
  assert.equal(uses({}), true);
  assert.equal(uses({ DEVICE_SYNC_REGISTRY_ADDRESSES: '' }), true, 'empty, as compose passes it when unset');
  assert.equal(uses({ DEVICE_SYNC_BOX_USERNAME: 'admin', DEVICE_SYNC_BOX_PASSWORD: 'pw' }), false, 'credentials would go wherever a report points');
  assert.equal(uses({ DEVICE_SYNC_BOX_PASSWORD: 'pw', DEVICE_SYNC_REGISTRY_ADDRESSES: 'true' }), true);
  assert.equal(uses({ DEVICE_SYNC_REGISTRY_ADDRESSES: 'false' }), false);
  assert.throws(() => uses({ DEVICE_SYNC_REGISTRY_ADDRESSES: 'maybe' }), /DEVICE_SYNC_REGISTRY_ADDRESSES: must be true, false or empty/);
});

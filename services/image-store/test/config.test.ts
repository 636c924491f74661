import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@sophon/config';
import { loadImageStoreConfig } from '../src/config.js';

const required = { S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'image-store', S3_SECRET_KEY: 'not-a-real-secret' };

test('the S3 endpoint URL becomes the parts the minio client takes; the rest has defaults', () => {
  const config = loadImageStoreConfig(required);
  assert.deepEqual(config.S3_ENDPOINT, { endPoint: 'minio', port: 9000, useSSL: false });
  assert.equal(config.S3_REGION, 'us-east-1');
  assert.equal(config.S3_BUCKET, 'sophon-events');
  assert.equal(config.S3_REQUEST_TIMEOUT_MS, 30_000);
  assert.equal(config.CONSUMER_GROUP_ID, 'image-store');
  assert.equal(config.IMAGE_STORE_CONCURRENCY, 8);
  assert.equal(config.KAFKA_TOPIC_EVENT_IMAGES, 'event-images');
  assert.equal(config.OPS_PORT, 9601);

  assert.deepEqual(loadImageStoreConfig({ ...required, S3_ENDPOINT: 'https://s3.example.com' }).S3_ENDPOINT, { endPoint: 's3.example.com', port: 443, useSSL: true });
  assert.deepEqual(loadImageStoreConfig({ ...required, S3_ENDPOINT: 'http://[::1]:9000' }).S3_ENDPOINT, { endPoint: '::1', port: 9000, useSSL: false });
});

test('the endpoint and the keys are required; a malformed endpoint or a concurrency of 0 is refused at start-up', () => {
  assert.throws(
    () => loadImageStoreConfig({}),
    (error: unknown) => error instanceof ConfigError && ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'].every((name) => error.problems.some((p) => p.startsWith(`${name}:`))),
  );
  for (const endpoint of ['minio:9000', 'ftp://minio', 'http://minio:9000/bucket', 'http://user:pw@minio:9000']) {
    assert.throws(() => loadImageStoreConfig({ ...required, S3_ENDPOINT: endpoint }), /S3_ENDPOINT: must be/, endpoint);
  }
  assert.throws(() => loadImageStoreConfig({ ...required, IMAGE_STORE_CONCURRENCY: '0' }), /IMAGE_STORE_CONCURRENCY: /);
});

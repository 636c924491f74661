import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Client } from 'minio';
import { startS3, type S3Server } from '../src/s3.js';
import { connectError } from './connect-error.js';

/** Configured the way the product's MinIO client will be. */
function minioClient(server: S3Server, keys = { accessKey: server.accessKey, secretKey: server.secretKey }): Client {
  return new Client({
    endPoint: server.endPoint,
    port: server.port,
    useSSL: false,
    pathStyle: true,
    region: server.region,
    ...keys,
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('startS3', () => {
  it('serves a minio client: buckets, objects with metadata, and objects survive stop()/start()', async () => {
    const server = await startS3({ buckets: ['preset'] });
    try {
      assert.equal(server.url, `http://127.0.0.1:${server.port}`);
      const client = minioClient(server);

      assert.equal(await client.bucketExists('preset'), true);
      assert.equal(await client.bucketExists('snapshots'), false);
      await client.makeBucket('snapshots', server.region);
      assert.equal(await client.bucketExists('snapshots'), true);

      // Every byte value, so any text decoding on the way would show.
      const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
      const key = 'faces/2024/05/01/cam-1/0b7c-01.jpg';
      await client.putObject('snapshots', key, body, body.length, {
        'Content-Type': 'image/jpeg',
        'X-Amz-Meta-Device-Id': 'cam-1',
        'event-id': 'e-42',
      });

      const stat = await client.statObject('snapshots', key);
      assert.equal(stat.size, body.length);
      assert.equal(stat.metaData['content-type'], 'image/jpeg');
      assert.equal(stat.metaData['device-id'], 'cam-1');
      assert.equal(stat.metaData['event-id'], 'e-42');
      assert.deepEqual(await readAll(await client.getObject('snapshots', key)), body);

      await server.stop();
      assert.equal(await connectError(server.port), 'ECONNREFUSED');
      // A pooled keep-alive socket gives 'socket hang up' rather than ECONNREFUSED: either is an outage.
      await assert.rejects(client.statObject('snapshots', key));
      await server.stop(); // stopping a stopped server is a no-op

      await server.start();
      assert.equal(server.url, `http://127.0.0.1:${server.port}`);
      assert.deepEqual(await readAll(await client.getObject('snapshots', key)), body);
      assert.equal((await client.statObject('snapshots', key)).metaData['device-id'], 'cam-1');
    } finally {
      await server.close();
    }
    assert.equal(existsSync(server.directory), false);
    await server.close(); // idempotent
    await assert.rejects(server.start(), /was closed/);
  });

  it('accepts custom keys and refuses an unknown access key', async () => {
    const server = await startS3({ accessKey: 'sophon-test', secretKey: 'sophon-test-secret' });
    try {
      assert.equal(server.accessKey, 'sophon-test');
      await minioClient(server).makeBucket('custom', server.region);
      assert.equal(await minioClient(server).bucketExists('custom'), true);

      const stranger = minioClient(server, { accessKey: 'nobody', secretKey: 'nothing' });
      await assert.rejects(stranger.makeBucket('other', server.region), { code: 'InvalidAccessKeyId' });
    } finally {
      await server.close();
    }
  });
});

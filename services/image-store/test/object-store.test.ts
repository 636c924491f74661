import assert from 'node:assert/strict';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, startS3, type S3Server } from '@sophon/test-kit';
import { createObjectStore, ensureBucket, type ObjectStore } from '@sophon/object-store';
import { classifyS3Failure } from '../src/s3-errors.js';

let s3: S3Server;
const stores: ObjectStore[] = [];
before(async () => {
  s3 = await startS3();
});
after(async () => {
  for (const store of stores) store.close();
  await s3?.close();
});

function storeAt(port: number, options: { accessKey?: string; requestTimeoutMs?: number } = {}): ObjectStore {
  const store = createObjectStore({
    endPoint: '127.0.0.1',
    port,
    useSSL: false,
    accessKey: options.accessKey ?? s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
  });
  stores.push(store);
  return store;
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail('expected the request to fail'),
    (error: unknown) => error,
  );

/** Forwards to s3rver, holding PUT requests back by `delayMs`; records the status of each PUT. */
async function delayingProxy(delayMs: number) {
  const putStatuses: number[] = [];
  const proxy = createHttpServer((req, res) => {
    const forward = () =>
      req.pipe(
        httpRequest({ host: '127.0.0.1', port: s3.port, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
          if (req.method === 'PUT') putStatuses.push(upstream.statusCode ?? 0);
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        }),
      );
    if (req.method === 'PUT') setTimeout(forward, delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    putStatuses,
    close: () => {
      proxy.closeAllConnections();
      proxy.close();
    },
  };
}

test('ensureBucket creates a missing bucket, and tolerates another replica creating it between its check and its create', async () => {
  // Both replicas find no bucket; A creates it first, B's create arrives after and is refused.
  const [toA, toB] = await Promise.all([delayingProxy(100), delayingProxy(400)]);
  try {
    const [replicaA, replicaB] = [storeAt(toA.port), storeAt(toB.port)];
    const outcomes = await Promise.all([ensureBucket(replicaA.client, 'raced', s3.region), ensureBucket(replicaB.client, 'raced', s3.region)]);
    assert.deepEqual(outcomes, ['created', 'existed']);
    assert.deepEqual(toB.putStatuses, [409], "B's create was refused: BucketAlreadyExists");
    assert.equal(await replicaB.client.bucketExists('raced'), true);
    assert.equal(await ensureBucket(replicaA.client, 'raced', s3.region), 'existed');
  } finally {
    toA.close();
    toB.close();
  }
});

test('S3 failures are classified by what can fix them', async () => {
  const { client } = storeAt(s3.port);
  await client.makeBucket('classified', s3.region);
  const picture = Buffer.from('picture');

  const missingBucket = await failureOf(client.putObject('no-such-bucket', 'k.jpg', picture, picture.length));
  assert.equal(classifyS3Failure(missingBucket), 'configuration', String(missingBucket));
  const unknownKey = await failureOf(storeAt(s3.port, { accessKey: 'nobody' }).client.putObject('classified', 'k.jpg', picture, picture.length));
  assert.equal(classifyS3Failure(unknownKey), 'configuration', String(unknownKey));
  const keyTooLong = await failureOf(client.putObject('classified', 'k'.repeat(1025), picture, picture.length));
  assert.equal(classifyS3Failure(keyTooLong), 'message', String(keyTooLong));
  const refused = await failureOf(storeAt(await freePort()).client.putObject('classified', 'k.jpg', picture, picture.length));
  assert.equal(classifyS3Failure(refused), 'transient', String(refused));

  // An overloaded S3: minio reads 503 as SlowDown; any 5xx is an outage.
  const overloaded = createHttpServer((_req, res) => res.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code></Error>'));
  await new Promise<void>((resolve) => overloaded.listen(0, '127.0.0.1', resolve));
  try {
    const slowDown = await failureOf(storeAt((overloaded.address() as AddressInfo).port).client.putObject('classified', 'k.jpg', picture, picture.length));
    assert.equal(classifyS3Failure(slowDown), 'transient', String(slowDown));
  } finally {
    overloaded.closeAllConnections();
    overloaded.close();
  }
});

test('a request S3 accepts but never answers fails after the request timeout', async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { client } = storeAt((silent.address() as AddressInfo).port, { requestTimeoutMs: 300 });
    const started = Date.now();
    const error = await failureOf(client.bucketExists('any-bucket'));
    assert.match(String(error), /S3 did not answer within 300 ms \(HEAD \/any-bucket\)/);
    assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`);
    assert.equal(classifyS3Failure(error), 'transient');
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

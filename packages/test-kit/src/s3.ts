import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import AWSAccountModule from 's3rver/lib/models/account.js';
import { manageServer } from './server-lifecycle.js';

/** s3rver's built-in key pair. */
const DEFAULT_KEY = 'S3RVER';

export interface S3ServerOptions {
  /** Buckets to create before the first start. */
  buckets?: string[];
  /** Default `S3RVER`. Any other value is registered with s3rver for the whole process. */
  accessKey?: string;
  /** Default `S3RVER`. Only checked for V2 signatures: s3rver accepts any V4 signature (minio's) made with a known access key. */
  secretKey?: string;
}

export interface S3Server {
  readonly endPoint: '127.0.0.1';
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** s3rver only knows this one; give it to the client so it never asks for a bucket's location. */
  readonly region: 'us-east-1';
  /** Where buckets and objects are kept, as plain files. */
  readonly directory: string;
  /** Stop listening and drop open connections (an outage). Objects stay. */
  stop(): Promise<void>;
  /** Listen again on the same port, over the same directory. */
  start(): Promise<void>;
  /** stop() and remove the directory. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * An S3 API (s3rver) in this process on 127.0.0.1, over a fresh temp directory.
 * The listener is unref'd: a test that forgets close() still exits, and the directory is
 * removed at exit.
 */
export async function startS3(options: S3ServerOptions = {}): Promise<S3Server> {
  const accessKey = options.accessKey ?? DEFAULT_KEY;
  const secretKey = options.secretKey ?? DEFAULT_KEY;
  if (accessKey !== DEFAULT_KEY || secretKey !== DEFAULT_KEY) {
    // s3rver authenticates against a process-wide registry of one dummy account.
    AWSAccountModule.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
  }

  const directory = await mkdtemp(join(tmpdir(), 'sophon-s3-'));
  const app = new S3rver({
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });

  let server: Server | undefined;
  let port = 0; // the kernel picks one on the first start, which later starts reuse
  let bucketsConfigured = false;

  // Our own http.Server around s3rver's handler rather than s3rver.run(): run() leaves listen
  // errors (EADDRINUSE on a restart) as an unhandled 'error' event, which would crash the tests.
  const startNow = async () => {
    if (server) return;
    // Once: a restart must not bring back a bucket a test deleted.
    if (!bucketsConfigured) await app.configureBuckets();
    bucketsConfigured = true;
    const candidate = createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      candidate.once('error', reject);
      candidate.listen(port, '127.0.0.1', () => {
        candidate.off('error', reject);
        resolve();
      });
    });
    candidate.unref();
    port = (candidate.address() as AddressInfo).port;
    server = candidate;
  };

  const stopNow = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    // Clients' keep-alive sockets would otherwise keep the "stopped" server answering.
    current.closeAllConnections();
    await closed;
  };

  const controls = await manageServer({ name: `S3 in ${directory}`, directory, start: startNow, stop: stopNow });
  return {
    endPoint: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    accessKey,
    secretKey,
    region: 'us-east-1',
    directory,
    ...controls,
  };
}

import http from 'node:http';
import https from 'node:https';
import { Client, type ClientOptions } from 'minio';
import type { Logger } from '@sophon/logger';
import type { S3Endpoint } from './config.js';
import { s3ErrorCode } from './s3-errors.js';

export interface ObjectStoreSettings extends S3Endpoint {
  accessKey: string;
  secretKey: string;
  region: string;
  requestTimeoutMs: number;
}

export interface ObjectStore {
  client: Client;
  /** Closes the pooled keep-alive connections (after the last request). */
  close(): void;
}

/**
 * A minio client for MinIO (or any S3): path-style buckets (MinIO and s3rver serve them as
 * paths; bucket host names would need DNS), the region given (so it never asks S3 for a bucket's
 * location, which s3rver cannot answer), keep-alive connections of its own, and a timeout on
 * every request. minio's own retry is off: the consumer runner retries the whole batch with
 * backoff for as long as an outage lasts, and minio's retry writes to the console. (With it off,
 * minio reports a 5xx as a plain Error, "Request failed after 0 retries", without the S3 code:
 * an outage all the same.)
 */
export function createObjectStore(settings: ObjectStoreSettings): ObjectStore {
  const protocol = settings.useSSL ? https : http;
  const agent = new protocol.Agent({ keepAlive: true });
  const client = new Client({
    endPoint: settings.endPoint,
    port: settings.port,
    useSSL: settings.useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
    transport: timingOut(protocol, settings.requestTimeoutMs),
    transportAgent: agent,
    retryOptions: { disableRetry: true },
  });
  return { client, close: () => agent.destroy() };
}

type Transport = NonNullable<ClientOptions['transport']>;

/** minio sets no timeout: a request that sees no traffic for `timeoutMs` is aborted with an error. */
function timingOut(protocol: Transport, timeoutMs: number): Transport {
  const send = protocol.request as (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void) => http.ClientRequest;
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void) => {
    const outgoing = send(options, callback);
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`S3 did not answer within ${timeoutMs} ms (${options.method} ${options.path})`)));
    return outgoing;
  };
  return { request } as Transport;
}

/** Codes of a bucket that exists already: ours (a replica created it first) or, on AWS, maybe someone else's. */
const BUCKET_EXISTS_CODES = new Set(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);

/** Creates the bucket when it is missing. Another replica may create it at the same time: that is fine. */
export async function ensureBucket(client: Client, bucket: string, region: string): Promise<'created' | 'existed'> {
  if (await client.bucketExists(bucket)) return 'existed';
  try {
    await client.makeBucket(bucket, region);
    return 'created';
  } catch (error) {
    // bucketExists then tells "ours" (true) from "someone else's" (403, thrown).
    if (BUCKET_EXISTS_CODES.has(s3ErrorCode(error) ?? '') && (await client.bucketExists(bucket))) return 'existed';
    throw error;
  }
}

export interface Bucket {
  /** Resolves once the bucket exists; remembered once it did, tried again after a failure. */
  ensure(): Promise<void>;
  /** For /readyz: S3 answers and the bucket is there. */
  checkReady(): Promise<void>;
}

/**
 * The bucket, created lazily by whichever comes first: the attempt at start-up, a readiness
 * probe or the first batch. So S3 may come up after this service (compose start order,
 * restarts): start-up never blocks on it, /readyz says 503 until it is there, and batches are
 * retried by the runner until then. A bucket deleted later is not re-created: that is an
 * operator's doing, reported as NoSuchBucket.
 */
export function createBucket(client: Client, name: string, region: string, logger: Logger): Bucket {
  let ensured: Promise<void> | undefined;
  const ensure = () =>
    (ensured ??= ensureBucket(client, name, region).then(
      (outcome) => logger.info({ bucket: name, outcome }, 'bucket ready'),
      (error: unknown) => {
        ensured = undefined;
        throw error;
      },
    ));
  return {
    ensure,
    async checkReady() {
      await ensure();
      if (!(await client.bucketExists(name))) throw new Error(`bucket "${name}" does not exist`);
    },
  };
}

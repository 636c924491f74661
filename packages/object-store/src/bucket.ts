import type { Client } from 'minio';
import type { Logger } from '@sophon/logger';
import { s3ErrorCode } from './errors.js';

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
 * probe or the first batch. So S3 may come up after the service (compose start order,
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

import { createHash } from 'node:crypto';
import type { Client, ItemBucketMetadata } from 'minio';
import { decodeImageMessageHeaders, HEADERS, IMAGE_TYPES, type ImageMessageHeaders } from '@sophon/event-contract';
import { describeError, PermanentError, type ConsumedMessage, type MessageSink } from '@sophon/kafka';
import type { Logger } from '@sophon/logger';
import { s3ErrorCode, type Bucket } from '@sophon/object-store';
import { mapBounded } from './map-bounded.js';
import type { ImageStoreMetrics } from './metrics.js';
import { classifyS3Failure } from './s3-errors.js';

export interface ImageSinkOptions {
  client: Client;
  bucket: Bucket;
  bucketName: string;
  /** Pictures of one batch written at once. */
  concurrency: number;
  metrics: ImageStoreMetrics;
}

/** A picture checked against its headers, ready to be written. */
interface Picture {
  headers: ImageMessageHeaders;
  bytes: Buffer;
  metadata: ItemBucketMetadata;
}

type Rejection = { message: ConsumedMessage; error: unknown };

const IMAGE_CONTENT_TYPES: ReadonlySet<string> = new Set(Object.values(IMAGE_TYPES).map((type) => type.contentType));

/**
 * Writes each event-images message to S3 at the object key the gateway announced in its
 * headers. Idempotent: the key is deterministic, so a redelivered or replayed picture
 * overwrites its own object with the same bytes. Messages that can never be stored (bad headers,
 * bytes that do not match their sha256, a key S3 refuses) are rejected, so the runner
 * dead-letters them; any other failure is thrown, so the runner retries the batch.
 */
export function createImageSink(options: ImageSinkOptions): MessageSink {
  const { client, bucket, bucketName, concurrency, metrics } = options;

  const reportS3Failure = (error: unknown, logger: Logger, context: Record<string, unknown>) => {
    if (classifyS3Failure(error) !== 'configuration') return;
    logger.error(
      { ...context, bucket: bucketName, code: s3ErrorCode(error), err: error },
      'S3 refuses writes to the bucket: check S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY and S3_REGION. Pictures are retried, not dropped, until it is fixed',
    );
  };

  const store = async (message: ConsumedMessage, logger: Logger): Promise<Rejection | undefined> => {
    let picture: Picture;
    try {
      picture = checkPicture(message);
    } catch (error) {
      return { message, error };
    }
    const eventId = picture.headers[HEADERS.eventId];
    const key = picture.headers[HEADERS.objectKey];
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      await client.putObject(bucketName, key, picture.bytes, picture.bytes.length, picture.metadata);
    } catch (error) {
      const failure = classifyS3Failure(error);
      metrics.putSeconds.observe({ result: failure }, elapsed());
      if (failure === 'message') return { message, error: new PermanentError(`S3 refused the picture: ${describeError(error)}`, { cause: error }) };
      reportS3Failure(error, logger, { eventId, key });
      throw error;
    }
    metrics.putSeconds.observe({ result: 'ok' }, elapsed());
    metrics.picturesStored.inc({ kind: picture.headers[HEADERS.pictureKind] });
    metrics.bytesStored.inc(picture.bytes.length);
    logger.debug({ eventId, key, bytes: picture.bytes.length, offset: message.offset }, 'picture stored');
    return undefined;
  };

  return {
    async handleBatch(messages, { signal, logger }) {
      try {
        await bucket.ensure();
      } catch (error) {
        reportS3Failure(error, logger, {});
        throw error;
      }
      const outcomes = await mapBounded(messages, concurrency, signal, (message) => store(message, logger));
      return { rejected: outcomes.filter((outcome): outcome is Rejection => outcome !== undefined) };
    },
  };
}

/** The headers decoded and the bytes verified against them; throws PermanentError for anything wrong. */
function checkPicture(message: ConsumedMessage): Picture {
  let headers: ImageMessageHeaders;
  try {
    headers = decodeImageMessageHeaders(message.headers);
  } catch (error) {
    // A ContractError: a header is missing or wrong, which no retry changes.
    throw new PermanentError((error as Error).message, { cause: error });
  }
  const sha256 = createHash('sha256').update(message.value).digest('hex');
  if (sha256 !== headers[HEADERS.sha256]) {
    throw new PermanentError(`picture bytes do not match their sha256 header: got ${sha256}, header says ${headers[HEADERS.sha256]}`);
  }
  const contentType = headers[HEADERS.contentType];
  if (!IMAGE_CONTENT_TYPES.has(contentType)) throw new PermanentError(`event-images message has content-type "${contentType}", not a picture type`);
  return {
    headers,
    bytes: message.value,
    metadata: {
      'Content-Type': contentType,
      // Percent-encoded so that any dev_sno fits an HTTP header; contract ids and ASCII serials are unchanged by it.
      'x-amz-meta-event-id': encodeURIComponent(headers[HEADERS.eventId]),
      'x-amz-meta-dev-sno': encodeURIComponent(headers[HEADERS.devSno]),
      'x-amz-meta-picture-kind': headers[HEADERS.pictureKind],
      'x-amz-meta-sha256': sha256,
    },
  };
}

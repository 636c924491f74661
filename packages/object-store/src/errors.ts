import { S3Error } from 'minio';

/** The S3 error code (NoSuchBucket, NoSuchKey, SlowDown...) of an error S3 answered with; undefined for network errors. */
export function s3ErrorCode(error: unknown): string | undefined {
  return error instanceof S3Error && typeof error.code === 'string' && error.code ? error.code : undefined;
}

import { InvalidObjectNameError } from 'minio';
import { s3ErrorCode } from '@sophon/object-store';

/**
 * What an S3 failure means for the picture being stored:
 * - `message`: only the message itself can cause it (its key or size); retrying never helps.
 * - `configuration`: the bucket or the credentials are wrong; every picture fails until an
 *   operator fixes it, so it is retried (nothing is dead-lettered for it) and logged loudly.
 * - `transient`: everything else (refused or reset connections, timeouts, 5xx, SlowDown...).
 */
export type S3FailureClass = 'message' | 'configuration' | 'transient';

/** Error codes S3 and MinIO answer for a request that is wrong because of its key, size or metadata. */
const MESSAGE_CODES = new Set(['KeyTooLongError', 'XMinioInvalidObjectName', 'EntityTooLarge', 'MetadataTooLarge', 'InvalidObjectName']);

const CONFIGURATION_CODES = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthorizationHeaderMalformed', // wrong S3_REGION
  'PermanentRedirect',
  'InvalidBucketName',
  'AccountProblem',
  'InvalidBucketState',
]);

export function classifyS3Failure(error: unknown): S3FailureClass {
  // minio checks the key before sending anything: empty, or longer than S3's 1024 bytes.
  if (error instanceof InvalidObjectNameError) return 'message';
  const code = s3ErrorCode(error);
  if (code && MESSAGE_CODES.has(code)) return 'message';
  if (code && CONFIGURATION_CODES.has(code)) return 'configuration';
  return 'transient';
}

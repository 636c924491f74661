import { env, loadConfig } from '@sophon/config';
import { consumerServiceEnv } from '@sophon/consumer-service';
import { s3Env } from '@sophon/object-store';

/**
 * Every image-store setting (KAFKA_TOPIC_EVENT_IMAGES and the consumer settings come from the
 * shared consumer environment, the S3 settings from the object store's).
 */
export const imageStoreEnv = {
  ...consumerServiceEnv({ opsPort: 9601 }),
  ...s3Env,
  CONSUMER_GROUP_ID: env.string('image-store'),
  /** Pictures of one batch written to S3 at once (per partition being consumed). */
  IMAGE_STORE_CONCURRENCY: env.integer(8, { min: 1, max: 256 }),
};

export type ImageStoreConfig = ReturnType<typeof loadImageStoreConfig>;

export function loadImageStoreConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(imageStoreEnv, source);
}

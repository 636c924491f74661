import { runConsumerService, type RunningConsumerService } from '@sophon/consumer-service';
import type { Logger } from '@sophon/logger';
import { createBucket, createObjectStore, objectStoreSettings } from '@sophon/object-store';
import type { ImageStoreConfig } from './config.js';
import { createImageSink } from './image-sink.js';
import { createImageStoreMetrics } from './metrics.js';

/**
 * Composes the image store: event-images -> S3. Start-up does not wait for S3: the bucket is
 * created by whichever comes first of the attempt made here, a /readyz probe or the first batch,
 * so the compose start order does not matter. `shutdown.stop()` leaves the group, then closes
 * the S3 connections.
 */
export function startImageStore(config: ImageStoreConfig, logger: Logger): Promise<RunningConsumerService> {
  return runConsumerService('image-store', config, logger, ({ registry, logger: serviceLogger }) => {
    const store = createObjectStore(objectStoreSettings(config));
    const bucket = createBucket(store.client, config.S3_BUCKET, config.S3_REGION, serviceLogger);
    void bucket.ensure().catch((error: unknown) =>
      serviceLogger.warn({ err: error, bucket: config.S3_BUCKET }, 'S3 not ready at start-up; the bucket is ensured again before the first batch'),
    );
    return {
      groupId: config.CONSUMER_GROUP_ID,
      topics: [config.KAFKA_TOPIC_EVENT_IMAGES],
      sink: createImageSink({
        client: store.client,
        bucket,
        bucketName: config.S3_BUCKET,
        concurrency: config.IMAGE_STORE_CONCURRENCY,
        metrics: createImageStoreMetrics(registry),
      }),
      readiness: [{ name: 's3', check: () => bucket.checkReady() }],
      close: async () => store.close(),
    };
  });
}

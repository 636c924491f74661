import { Counter, Histogram, type Registry } from '@sophon/ops-http';

export type ImageStoreMetrics = ReturnType<typeof createImageStoreMetrics>;

export function createImageStoreMetrics(registry: Registry) {
  const registers = [registry];
  return {
    picturesStored: new Counter({ name: 'image_store_pictures_stored_total', help: 'Pictures written to S3, by picture kind', labelNames: ['kind'], registers }),
    bytesStored: new Counter({ name: 'image_store_bytes_stored_total', help: 'Picture bytes written to S3', registers }),
    putSeconds: new Histogram({
      name: 'image_store_s3_put_seconds',
      help: 'Time of one S3 PUT, by result (ok or the failure class: message, configuration, transient)',
      labelNames: ['result'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

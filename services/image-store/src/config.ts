import { env, loadConfig, z } from '@sophon/config';
import { consumerServiceEnv } from '@sophon/consumer-service';

/** Where S3 (MinIO) answers, in the parts the minio client takes. */
export interface S3Endpoint {
  endPoint: string;
  port: number;
  useSSL: boolean;
}

/** `http(s)://host[:port]` and nothing more: buckets go in the path (path-style), never in the URL. */
const s3Endpoint = z.string().transform((value, ctx): S3Endpoint => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a URL such as http://minio:9000' });
    return z.NEVER;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must be http(s)://host[:port], without path, query or credentials' });
    return z.NEVER;
  }
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'), // IPv6 literals come bracketed
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
  };
});

/**
 * Every image-store setting (KAFKA_TOPIC_EVENT_IMAGES and the consumer settings come from the
 * shared consumer environment). The S3 endpoint and keys have no defaults: a store that
 * silently wrote to a guessed endpoint with guessed credentials would only fail later.
 */
export const imageStoreEnv = {
  ...consumerServiceEnv({ opsPort: 9601 }),
  S3_ENDPOINT: s3Endpoint,
  S3_ACCESS_KEY: z.string().min(1),
  S3_SECRET_KEY: z.string().min(1),
  S3_REGION: env.string('us-east-1'),
  S3_BUCKET: env.string('sophon-events'),
  /** An S3 request with no traffic for this long fails (and is retried): a server that accepts but never answers is an outage too. */
  S3_REQUEST_TIMEOUT_MS: env.integer(30_000, { min: 100 }),
  CONSUMER_GROUP_ID: env.string('image-store'),
  /** Pictures of one batch written to S3 at once (per partition being consumed). */
  IMAGE_STORE_CONCURRENCY: env.integer(8, { min: 1, max: 256 }),
};

export type ImageStoreConfig = ReturnType<typeof loadImageStoreConfig>;

export function loadImageStoreConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(imageStoreEnv, source);
}

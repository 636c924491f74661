import { env, z } from '@sophon/config';
import type { ObjectStoreSettings } from './client.js';

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
 * The S3 settings of every service that uses the pictures bucket, composed into its config.
 * The endpoint and keys have no defaults: a service that silently used a guessed endpoint with
 * guessed credentials would only fail later.
 */
export const s3Env = {
  S3_ENDPOINT: s3Endpoint,
  S3_ACCESS_KEY: z.string().min(1),
  S3_SECRET_KEY: z.string().min(1),
  S3_REGION: env.string('us-east-1'),
  S3_BUCKET: env.string('sophon-events'),
  /** An S3 request with no traffic for this long fails (and is retried): a server that accepts but never answers is an outage too. */
  S3_REQUEST_TIMEOUT_MS: env.integer(30_000, { min: 100 }),
};

/** The loaded values of `s3Env`. */
export interface S3Config {
  S3_ENDPOINT: S3Endpoint;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
  S3_REGION: string;
  S3_REQUEST_TIMEOUT_MS: number;
}

/** The client settings of a loaded config. */
export function objectStoreSettings(config: S3Config): ObjectStoreSettings {
  return {
    ...config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    region: config.S3_REGION,
    requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
  };
}

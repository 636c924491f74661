import http from 'node:http';
import https from 'node:https';
import { Client, type ClientOptions } from 'minio';
import type { S3Endpoint } from './env.js';

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

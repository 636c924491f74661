/**
 * The local stack's ClickHouse and S3 as the services see them, through the product's own client
 * factories, for the end-to-end tests and benchmarks to look at what the pipeline stored.
 */
import { createClickHouseClient, type ClickHouseClient } from '@sophon/clickhouse';
import { createLogger } from '@sophon/logger';
import { createObjectStore, type ObjectStore } from '@sophon/object-store';
import type { ClickHouseServer, S3Server } from '@sophon/test-kit';

const logger = createLogger({ service: 'local-stack-client', level: 'silent' });

/** The test server's `default` user (no password), on `database` (none: for one that creates databases). */
export function clickhouseClient(server: ClickHouseServer, database?: string): ClickHouseClient {
  return createClickHouseClient({ url: server.url, username: 'default', password: '', database }, logger);
}

/** The services' own S3 client (path-style, region given, no retries); close() when done. */
export function objectStore(server: S3Server): ObjectStore {
  const { endPoint, port, accessKey, secretKey, region } = server;
  return createObjectStore({ endPoint, port, useSSL: false, accessKey, secretKey, region, requestTimeoutMs: 30_000 });
}

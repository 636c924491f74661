import { createClient, ClickHouseLogLevel, type ClickHouseClient, type Logger as ClientLogger } from '@clickhouse/client';
import { env, z } from '@sophon/config';
import type { Logger } from '@sophon/logger';

export type { ClickHouseClient } from '@clickhouse/client';

/** The variables every ClickHouse user of the stack reads, with the same names everywhere. */
export const clickhouseEnv = {
  CLICKHOUSE_URL: env.string('http://localhost:8123'),
  CLICKHOUSE_USER: env.string('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: env.string('sophon'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: env.integer(30_000, { min: 1_000 }),
};

export interface ClickHouseConnectionSettings {
  /** HTTP interface, e.g. http://clickhouse:8123. */
  url: string;
  username: string;
  password: string;
  /**
   * Default database of the connection. Leave it out for a connection that creates the
   * database (the migrate job): naming a database that does not exist fails every request.
   */
  database?: string;
  requestTimeoutMs?: number;
  /** Shown in system.query_log's http_user_agent on the server. */
  application?: string;
}

/** The connection settings of a service from its clickhouseEnv variables. */
export function clickhouseConnection(config: { [K in keyof typeof clickhouseEnv]: K extends 'CLICKHOUSE_REQUEST_TIMEOUT_MS' ? number : string }, application: string): ClickHouseConnectionSettings {
  return {
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
    requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    application,
  };
}

/**
 * The one place a @clickhouse/client is made. It sends no settings with requests on its own:
 * a readonly=1 user (the analyst) is refused any setting, and 18.16 knows few of them.
 */
export function createClickHouseClient(settings: ClickHouseConnectionSettings, logger: Logger): ClickHouseClient {
  return createClient({
    url: settings.url,
    username: settings.username,
    password: settings.password,
    database: settings.database,
    request_timeout: settings.requestTimeoutMs ?? 30_000,
    application: settings.application ?? 'sophon-pipeline',
    log: { LoggerClass: pinoClientLogger(logger.child({ component: 'clickhouse-client' })), level: ClickHouseLogLevel.WARN },
  });
}

/** For /readyz: resolves when the server answers /ping, throws its error otherwise. */
export async function checkClickHouseReady(client: ClickHouseClient): Promise<void> {
  const result = await client.ping();
  if (!result.success) throw result.error;
}

/** The client instantiates its logger class itself, without arguments: close over ours. */
function pinoClientLogger(logger: Logger): new () => ClientLogger {
  return class implements ClientLogger {
    trace({ message, args }: Parameters<ClientLogger['trace']>[0]) {
      logger.trace(args ?? {}, message);
    }
    debug({ message, args }: Parameters<ClientLogger['debug']>[0]) {
      logger.debug(args ?? {}, message);
    }
    info({ message, args }: Parameters<ClientLogger['info']>[0]) {
      logger.info(args ?? {}, message);
    }
    warn({ message, args, err }: Parameters<ClientLogger['warn']>[0]) {
      logger.warn({ ...args, err }, message);
    }
    error({ message, args, err }: Parameters<ClientLogger['error']>[0]) {
      logger.error({ ...args, err }, message);
    }
  };
}

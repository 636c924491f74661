/** Issue 9: migration 0006 (device registry) and its views, the same scenario on ClickHouse 18.16 and on chdb (26.x). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Session } from 'chdb';
import { createLogger } from '@sophon/logger';
import { startClickHouse } from '@sophon/test-kit';
import { createClickHouseClient, insertRows, migrate } from '../src/index.js';
import { chdbAsClient, selectRows } from './chdb-client.js';
import { runDeviceRegistryScenario } from './device-status-views.js';
import { DATABASE, SERVER_TIMEZONE } from './fixtures.js';

const logger = createLogger({ service: 'device-status-views-test', level: 'silent' });

describe('device registry views', () => {
  it('on ClickHouse 18.16', async () => {
    const server = await startClickHouse({ timezone: SERVER_TIMEZONE });
    const client = createClickHouseClient({ url: server.url, username: 'default', password: '' }, logger);
    try {
      await migrate({ client, database: DATABASE, logger });
      await runDeviceRegistryScenario({
        select: async (sql) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>(),
        insert: (table, rows) => insertRows(client, table, rows),
        command: async (sql) => void (await client.command({ query: sql })),
      });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('on chdb (current ClickHouse)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sophon-chdb-status-'));
    const session = new Session(join(dir, 'data'));
    try {
      session.query(`SET session_timezone = '${SERVER_TIMEZONE}'`);
      const client = chdbAsClient(session);
      await migrate({ client, database: DATABASE, logger });
      await runDeviceRegistryScenario({
        select: async (sql) => selectRows(session, sql),
        insert: (table, rows) => insertRows(client, table, rows),
        command: async (sql) => void session.query(sql),
      });
    } finally {
      if (session.open) session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

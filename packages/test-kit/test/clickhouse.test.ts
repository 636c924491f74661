import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startClickHouse } from '../src/clickhouse.js';
import { connectError } from './connect-error.js';

interface QueryResult {
  status: number;
  body: string;
}

/** Plain HTTP interface, so the test kit needs no ClickHouse client library. */
async function query(url: string, sql: string, auth?: { user: string; password: string }): Promise<QueryResult> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', body: sql, headers });
  return { status: response.status, body: await response.text() };
}

async function queryOk(url: string, sql: string, auth?: { user: string; password: string }): Promise<string> {
  const result = await query(url, sql, auth);
  assert.equal(result.status, 200, `${sql}\n-> ${result.body}`);
  return result.body;
}

describe('startClickHouse', () => {
  it('serves SQL over HTTP, keeps its data across stop()/start(), and close() removes it', async () => {
    const server = await startClickHouse();
    try {
      assert.equal(server.url, `http://127.0.0.1:${server.httpPort}`);
      assert.notEqual(server.httpPort, server.tcpPort);
      assert.match(await queryOk(server.url, 'SELECT version()'), /^\d+\.\d+\.\d+/);
      // Server zone UTC whatever the host's: 2024-05-01 10:00:00 UTC.
      assert.equal(await queryOk(server.url, "SELECT toUnixTimestamp(toDateTime('2024-05-01 10:00:00'))"), '1714557600\n');

      // No SETTINGS in the SQL: LowCardinality must work through the server's default profile alone.
      await queryOk(
        server.url,
        `CREATE TABLE default.detections (device LowCardinality(String), score Float32, at DateTime)
         ENGINE = MergeTree PARTITION BY toYYYYMM(at) ORDER BY (device, at)`,
      );
      await queryOk(
        server.url,
        `INSERT INTO default.detections VALUES ('cam-1', 0.5, '2024-05-01 10:00:00'), ('cam-2', 0.25, '2024-05-01 11:00:00')`,
      );
      const rowsBefore = await queryOk(server.url, 'SELECT device, score, at FROM default.detections ORDER BY device FORMAT TSV');
      assert.equal(rowsBefore, 'cam-1\t0.5\t2024-05-01 10:00:00\ncam-2\t0.25\t2024-05-01 11:00:00\n');

      await server.stop();
      assert.equal(await connectError(server.httpPort), 'ECONNREFUSED');
      assert.equal(await connectError(server.tcpPort), 'ECONNREFUSED');
      await server.stop(); // stopping a stopped server is a no-op

      await server.start();
      assert.equal(
        await queryOk(server.url, 'SELECT device, score, at FROM default.detections ORDER BY device FORMAT TSV'),
        rowsBefore,
      );
      assert.equal(
        await queryOk(server.url, "SELECT type FROM system.columns WHERE table = 'detections' AND name = 'device'"),
        'LowCardinality(String)\n',
      );
    } finally {
      await server.close();
    }
    assert.equal(existsSync(server.dataDir), false);
    assert.equal(await connectError(server.httpPort), 'ECONNREFUSED');
    await server.close(); // idempotent
    await assert.rejects(server.start(), /was closed/);
  });

  it('adds users: a readonly user can SELECT its databases but cannot write, create or change settings', async () => {
    const analyst = { user: 'analyst', password: 'p<a&s"s' };
    const server = await startClickHouse({
      users: [{ name: analyst.user, password: analyst.password, profile: 'readonly', databases: ['events'] }],
      usersXmlFragment: `
        <writer>
          <password>w</password>
          <networks><ip>127.0.0.1</ip></networks>
          <profile>default</profile>
          <quota>default</quota>
        </writer>`,
    });
    try {
      await queryOk(server.url, 'CREATE TABLE default.secrets (id UInt32) ENGINE = Memory');
      await queryOk(server.url, 'CREATE DATABASE events');
      await queryOk(server.url, 'CREATE TABLE events.faces (id UInt32, name LowCardinality(String)) ENGINE = MergeTree ORDER BY id');
      await queryOk(server.url, "INSERT INTO events.faces VALUES (1, 'ana'), (2, 'ben')");
      await queryOk(server.url, "INSERT INTO events.faces VALUES (3, 'cy')", { user: 'writer', password: 'w' });

      assert.equal(await queryOk(server.url, 'SELECT id, name FROM events.faces ORDER BY id FORMAT TSV', analyst), '1\tana\n2\tben\n3\tcy\n');

      const insert = await query(server.url, "INSERT INTO events.faces VALUES (4, 'dee')", analyst);
      assert.notEqual(insert.status, 200);
      assert.match(insert.body, /readonly/);
      const create = await query(server.url, 'CREATE TABLE events.other (id UInt32) ENGINE = Memory', analyst);
      assert.notEqual(create.status, 200);
      assert.match(create.body, /readonly/);
      // ClickHouse lets readonly users "set" a setting to the value it already has, so the value
      // must differ from the current one on every machine (max_threads=1 equals the default on one core).
      const current = await queryOk(server.url, `SELECT value FROM system.settings WHERE name = 'max_memory_usage' FORMAT TSV`, analyst);
      assert.notEqual(current.trim(), '12345678', 'the setting below is a change on this server');
      const withSetting = await query(`${server.url}/?max_memory_usage=12345678`, 'SELECT 1', analyst);
      assert.notEqual(withSetting.status, 200);
      assert.match(withSetting.body, /readonly/);
      const otherDatabase = await query(server.url, 'SELECT count() FROM system.one', analyst);
      assert.equal(otherDatabase.status, 200, 'system stays readable for allow_databases users');
      const deniedDatabase = await query(server.url, 'SELECT count() FROM default.secrets', analyst);
      assert.notEqual(deniedDatabase.status, 200);
      assert.match(deniedDatabase.body, /Access denied/);
      const wrongPassword = await query(server.url, 'SELECT 1', { user: analyst.user, password: 'nope' });
      assert.notEqual(wrongPassword.status, 200);

      assert.equal(await queryOk(server.url, 'SELECT count() FROM events.faces'), '3\n');
    } finally {
      await server.close();
    }
  });

  it('rejects with the tail of the error log when the server cannot start', async () => {
    await assert.rejects(
      startClickHouse({ usersXmlFragment: '<broken>' }),
      (error: Error) => {
        assert.match(error.message, /clickhouse-server exited with code \d+ before answering/);
        assert.match(error.message, /clickhouse-server\.err\.log/);
        return true;
      },
    );
    await assert.rejects(startClickHouse({ binary: '/nonexistent/clickhouse-server' }), /could not be started \(.*ENOENT/);
  });

  it('refuses user names that cannot be XML element names', async () => {
    await assert.rejects(startClickHouse({ users: [{ name: 'bad name', password: '' }] }), /must match/);
  });
});

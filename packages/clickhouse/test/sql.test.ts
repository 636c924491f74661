/** The parts that need no server: escaping, statement splitting, migration files, insert checks, grants. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  firstKeptMonth,
  insertRows,
  legacyAnalystUser,
  readAnalystGrants,
  readMigrations,
  renderSqlTemplate,
  splitSqlStatements,
  sqlIdentifier,
  sqlString,
  sqlTableName,
} from '../src/index.js';

describe('escaping', () => {
  it('quotes strings and identifiers so that nothing ends them early', () => {
    assert.equal(sqlString("it's"), "'it\\'s'");
    assert.equal(sqlString('back\\slash'), "'back\\\\slash'");
    assert.equal(sqlString("\\'; DROP TABLE x; --"), "'\\\\\\'; DROP TABLE x; --'");
    assert.equal(sqlIdentifier('sophon'), '`sophon`');
    assert.equal(sqlIdentifier('we`ird\\db'), '`we\\`ird\\\\db`');
    assert.throws(() => sqlIdentifier(''), /cannot be empty/);
    assert.equal(sqlTableName('history_events'), '`history_events`');
    assert.equal(sqlTableName('sophon.history_events'), '`sophon`.`history_events`');
  });
});

describe('SQL files', () => {
  it('splits statements at ";" ending a line and drops comment lines', () => {
    const text = '-- header; with a semicolon;\r\nCREATE TABLE a (x UInt8)\n  ENGINE = Memory;  \n\n  -- between\nSELECT \';\' AS s; SELECT 2;\nSELECT 3';
    assert.deepEqual(splitSqlStatements(text), ['CREATE TABLE a (x UInt8)\n  ENGINE = Memory', "SELECT ';' AS s; SELECT 2", 'SELECT 3']);
    assert.deepEqual(splitSqlStatements('-- only a comment\n\n'), []);
  });

  it('fills placeholders and refuses unknown ones', () => {
    assert.equal(renderSqlTemplate('SELECT * FROM {database}.t WHERE x = {value}', { database: '`db`', value: "'v'" }), "SELECT * FROM `db`.t WHERE x = 'v'");
    assert.equal(renderSqlTemplate("SELECT '{}', '{\"a\":1}'", {}), "SELECT '{}', '{\"a\":1}'");
    assert.throws(() => renderSqlTemplate('SELECT * FROM {databse}.t', { database: '`db`' }), /unknown placeholder \{databse\} \(known: \{database\}\)/);
  });

  it('reads the repository’s migrations in order, every statement with its database placeholder', async () => {
    const migrations = await readMigrations();
    assert.deepEqual(
      migrations.map((m) => `${m.version}:${m.name}`),
      ['1:history_events', '2:registrations', '3:analyst_views', '4:device_deliveries', '5:event_formats', '6:device_status', '7:watchlist_scores'],
    );
    for (const migration of migrations) {
      assert.match(migration.checksum, /^[0-9a-f]{64}$/);
      assert.ok(migration.statements.length > 0);
      for (const statement of migration.statements) {
        // Creations are idempotent; a column added or a view replaced is one statement that applies whole;
        // default settings are inserted with version 0, so an operator's own value always wins.
        assert.match(statement, /^(CREATE (TABLE|VIEW) IF NOT EXISTS|DROP TABLE IF EXISTS|ALTER TABLE|INSERT INTO) \{database\}\./, 'in the configured database');
        // Modern servers reject it and 18.16's test profile sets it: never in the product's SQL.
        assert.doesNotMatch(statement, /allow_experimental|\bSETTINGS\b/i);
        assert.doesNotMatch(statement, /\{(?!database\})[A-Za-z_]+\}/);
      }
    }
    assert.equal(migrations.find((m) => m.name === 'analyst_views')?.statements.length, 10);
  });
});

describe('insertRows', () => {
  const unusedClient = {} as ClickHouseClient; // the checks throw before any request

  it('refuses rows that would leave a column to a silent zero', async () => {
    await assert.rejects(insertRows(unusedClient, 't', [{ a: 1, b: 2 }, { a: 1 }]), /row 1 has fields a, the first row has a,b/);
    await assert.rejects(insertRows(unusedClient, 't', [{ a: 1, b: undefined }]), /row 0 has b undefined/);
  });
});

describe('retention window', () => {
  it('keeps the current month and the ones before it', () => {
    assert.equal(firstKeptMonth(new Date('2024-06-15T00:00:00Z'), 13), 202306);
    assert.equal(firstKeptMonth(new Date('2024-06-15T00:00:00Z'), 1), 202406);
    assert.equal(firstKeptMonth(new Date('2024-01-31T23:59:59Z'), 3), 202311);
  });
});

describe('analyst account', () => {
  it('describes the 18.16 users.xml analyst for the test kit', () => {
    assert.deepEqual(legacyAnalystUser({ password: 'p' }), { name: 'analyst', password: 'p', profile: 'readonly', databases: ['sophon'] });
  });

  it('renders grants.sql with the database and only hashes of the passwords', async () => {
    const statements = await readAnalystGrants({ database: 'sophon-prod', analystPassword: 'correct horse', writerPassword: 'battery staple' });
    const text = statements.join('\n');
    assert.doesNotMatch(text, /correct horse|battery staple/);
    assert.match(text, /CREATE USER IF NOT EXISTS writer IDENTIFIED WITH sha256_hash BY '[0-9a-f]{64}'/);
    assert.match(text, /GRANT SELECT, INSERT ON `sophon-prod`\.history_events TO sophon_writer/);
    assert.match(text, /IDENTIFIED WITH sha256_hash BY '[0-9a-f]{64}'/);
    assert.match(text, /GRANT SELECT ON `sophon-prod`\.v_events TO sophon_analyst/);
    assert.doesNotMatch(text, /[{}]/);
    assert.doesNotMatch(text, /\bfeature\b/, 'feature is never granted');
    await assert.rejects(readAnalystGrants({ database: 'sophon', analystPassword: '', writerPassword: 'w' }), /analyst password cannot be empty/);
    await assert.rejects(readAnalystGrants({ database: 'sophon', analystPassword: 'a', writerPassword: '' }), /writer password cannot be empty/);
  });
});

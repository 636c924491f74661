import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@sophon/logger';
import { insertRows } from './insert.js';
import { DEFAULT_MIGRATIONS_DIR } from './paths.js';
import { renderSqlTemplate, splitSqlStatements, sqlIdentifier } from './sql.js';

/** A migration that cannot be applied, or a history that does not match the files. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationFile {
  version: number;
  name: string;
  /** File name, e.g. 0001_history_events.sql. */
  file: string;
  /** SHA-256 (hex) of the file with line endings made \n, before any substitution. */
  checksum: string;
  /** Its statements with `{database}` still in them. */
  statements: string[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export interface MigrateOptions {
  /** Best built without a default database: the database may not exist yet. */
  client: ClickHouseClient;
  /** Substituted for `{database}` in every migration. */
  database: string;
  /** Default deploy/clickhouse/migrations. */
  migrationsDir?: string | URL;
  logger: Logger;
}

export interface MigrateResult {
  /** The migrations this run applied, in order. */
  applied: AppliedMigration[];
  /** How many were applied before this run. */
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const SCHEMA_MIGRATIONS = 'schema_migrations';

/** Reads NNNN_name.sql files in version order; other .sql names and duplicate versions are errors. */
export async function readMigrations(dir: string | URL = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const path = dir instanceof URL ? fileURLToPath(dir) : dir;
  const migrations: MigrationFile[] = [];
  for (const file of (await readdir(path)).filter((entry) => entry.endsWith('.sql')).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`${file}: migration files are named NNNN_lowercase_name.sql`);
    const text = (await readFile(join(path, file), 'utf8')).replace(/\r\n?/g, '\n');
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) throw new MigrationError(`${previous.file} and ${file} share version ${version}`);
    migrations.push({
      version,
      name: match[2] ?? '',
      file,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitSqlStatements(text),
    });
  }
  return migrations;
}

/**
 * Brings `database` up to date: creates it, applies pending migrations in version order and
 * records each in `schema_migrations` after its last statement succeeded. Running it again
 * applies nothing. Refuses, before changing anything, when an applied migration's file changed
 * or disappeared, or when a new file sorts before the last applied one.
 *
 * ClickHouse DDL is not transactional: a migration that fails half-way is retried from its
 * first statement, so statements must be idempotent (IF NOT EXISTS / IF EXISTS). Run one
 * migrate at a time (a one-shot job); two at once would both apply the same migration.
 */
export async function migrate({ client, database, migrationsDir, logger }: MigrateOptions): Promise<MigrateResult> {
  const migrations = await readMigrations(migrationsDir);
  const db = sqlIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.${SCHEMA_MIGRATIONS} (
      version UInt32, name String, checksum String, applied_at DateTime, applied_at_ms UInt64
    ) ENGINE = MergeTree ORDER BY version`,
  });

  const history = await readHistory(client, db);
  const pending = checkHistory(migrations, history);
  const applied: AppliedMigration[] = [];
  for (const migration of pending) {
    const started = Date.now();
    for (const statement of migration.statements) {
      await client.command({ query: renderSqlTemplate(statement, { database: db }) });
    }
    const record = { version: migration.version, name: migration.name, checksum: migration.checksum };
    const appliedAtMs = Date.now();
    await insertRows(client, { database, table: SCHEMA_MIGRATIONS }, [
      { ...record, applied_at: Math.floor(appliedAtMs / 1000), applied_at_ms: appliedAtMs },
    ]);
    applied.push(record);
    logger.info({ database, migration: migration.file, statements: migration.statements.length, ms: appliedAtMs - started }, 'migration applied');
  }
  logger.info({ database, applied: applied.length, alreadyApplied: history.size }, 'database schema up to date');
  return { applied, alreadyApplied: history.size };
}

async function readHistory(client: ClickHouseClient, db: string): Promise<Map<number, AppliedMigration>> {
  const result = await client.query({
    query: `SELECT version, name, checksum FROM ${db}.${SCHEMA_MIGRATIONS} ORDER BY version`,
    format: 'JSONEachRow',
  });
  const history = new Map<number, AppliedMigration>();
  for (const row of await result.json<AppliedMigration>()) {
    const version = Number(row.version);
    const seen = history.get(version);
    // Two concurrent runs can record a version twice; harmless unless they disagree.
    if (seen && seen.checksum !== row.checksum) {
      throw new MigrationError(`schema_migrations records version ${version} twice with different checksums`);
    }
    history.set(version, { version, name: row.name, checksum: row.checksum });
  }
  return history;
}

/** The pending migrations, after checking the recorded history against the files. */
function checkHistory(migrations: MigrationFile[], history: Map<number, AppliedMigration>): MigrationFile[] {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  for (const record of history.values()) {
    const file = byVersion.get(record.version);
    if (!file) {
      throw new MigrationError(`migration ${record.version} (${record.name}) was applied but its file is missing`);
    }
    if (file.checksum !== record.checksum) {
      throw new MigrationError(
        `${file.file} changed after it was applied (checksum ${record.checksum} applied, ${file.checksum} now): ` +
          'never edit an applied migration, add a new one',
      );
    }
  }
  const lastApplied = Math.max(0, ...history.keys());
  const pending = migrations.filter((migration) => !history.has(migration.version));
  const outOfOrder = pending.find((migration) => migration.version < lastApplied);
  if (outOfOrder) {
    throw new MigrationError(`${outOfOrder.file} is new but sorts before applied migration ${lastApplied}: renumber it`);
  }
  return pending;
}

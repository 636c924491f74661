import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@sophon/logger';
import { DEFAULT_GRANTS_FILE } from './paths.js';
import { renderSqlTemplate, splitSqlStatements, sqlIdentifier, sqlString } from './sql.js';

/** The analysts' login on every server. */
export const ANALYST_USER = 'analyst';
/** The role grants.sql gives the analyst's privileges to (modern servers). */
export const ANALYST_ROLE = 'sophon_analyst';
/** The writers' login (analytics writer, registration worker) on modern servers: INSERT and SELECT on their tables only. */
export const WRITER_USER = 'writer';
/** The role grants.sql gives the writer's privileges to. */
export const WRITER_ROLE = 'sophon_writer';

/** A users.xml user as the test kit's `startClickHouse({ users })` takes it (18.16 has no SQL users). */
export interface LegacyAnalystUser {
  name: string;
  password: string;
  profile: 'readonly';
  databases: string[];
}

/**
 * The analyst for an 18.16 server, defined in users.xml. What 18.16 enforces: read-only (no
 * INSERT, DDL or settings) and no database but `database` (and `system`, always readable).
 * What it cannot: anything per table or column, so this user can read history_events.feature;
 * only the product's discipline keeps feature vectors out of the views.
 */
export function legacyAnalystUser({ password, database = 'sophon' }: { password: string; database?: string }): LegacyAnalystUser {
  return { name: ANALYST_USER, password, profile: 'readonly', databases: [database] };
}

export interface AnalystGrantsOptions {
  database: string;
  /** The analyst's password; only its SHA-256 reaches the server (and its query log). */
  analystPassword: string;
  /** The writer's password; only its SHA-256 reaches the server. */
  writerPassword: string;
  /** Default deploy/clickhouse/grants.sql. */
  grantsFile?: string;
}

/** grants.sql with its placeholders filled, one statement per element. */
export async function readAnalystGrants({ database, analystPassword, writerPassword, grantsFile = DEFAULT_GRANTS_FILE }: AnalystGrantsOptions): Promise<string[]> {
  if (analystPassword.length === 0) throw new RangeError('the analyst password cannot be empty');
  if (writerPassword.length === 0) throw new RangeError('the writer password cannot be empty');
  const sha256 = (password: string) => sqlString(createHash('sha256').update(password).digest('hex'));
  const fragments = {
    database: sqlIdentifier(database),
    analyst_password_sha256: sha256(analystPassword),
    writer_password_sha256: sha256(writerPassword),
  };
  return splitSqlStatements(await readFile(grantsFile, 'utf8')).map((statement) => renderSqlTemplate(statement, fragments));
}

/**
 * Creates or updates the analyst and writer roles and users on a modern server (SQL access control; run as
 * a user with access_management). Idempotent. Not for 18.16, which has no SQL users.
 */
export async function applyAnalystGrants(options: AnalystGrantsOptions & { client: ClickHouseClient; logger: Logger }): Promise<void> {
  const statements = await readAnalystGrants(options);
  const [row] = await (await options.client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })).json<{ version: string }>();
  const version = row?.version ?? '';
  if (!hasSqlAccessControl(version)) {
    throw new Error(`ClickHouse ${version} has no SQL access control: define the analyst in users.xml instead (legacyAnalystUser)`);
  }
  for (const statement of statements) await options.client.command({ query: statement });
  options.logger.info({ database: options.database, users: [ANALYST_USER, WRITER_USER], roles: [ANALYST_ROLE, WRITER_ROLE], statements: statements.length }, 'analyst and writer grants applied');
}

/** SQL users, roles and grants arrived in 20.4; before, the first statement is a syntax error. */
function hasSqlAccessControl(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 4);
}

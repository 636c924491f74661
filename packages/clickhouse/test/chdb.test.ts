/**
 * The same schema, views and analyst grants on a current ClickHouse (chdb, embedded 26.x): the
 * production server's side of "one schema for both".
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Session } from 'chdb';
import { createLogger } from '@sophon/logger';
import { ANALYST_ROLE, insertRows, migrate, readAnalystGrants, readMigrations, WRITER_ROLE, WRITER_USER } from '../src/index.js';
import { chdbAsClient, selectRows } from './chdb-client.js';
import { ANALYST_VIEWS, assertAnalystViews, DATABASE, historyEventRows, insertBatches, readmeExampleQueries, registrationRows, SERVER_TIMEZONE, UNIQUE_EVENTS } from './fixtures.js';

const logger = createLogger({ service: 'clickhouse-test', level: 'silent' });
const PASSWORDS = { analystPassword: 'analyst-secret', writerPassword: 'writer-secret' };
const DENIED = /ACCESS_DENIED|Not enough privileges/;

/** The GRANTs grants.sql gives `role`, without their `TO role`: what a users.xml user can hold. */
async function roleGrants(role: string): Promise<string[]> {
  const grants = (await readAnalystGrants({ database: DATABASE, ...PASSWORDS }))
    .filter((statement) => statement.startsWith('GRANT ') && statement.endsWith(` TO ${role}`))
    .map((statement) => statement.replace(new RegExp(`\\s+TO ${role}$`), ''));
  assert.ok(grants.every((grant) => !grant.includes(' TO ')));
  return grants;
}

describe('current ClickHouse (chdb)', () => {
  let dir: string;
  let session: Session;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sophon-chdb-'));
    session = new Session(join(dir, 'data'));
    // chdb ignores <timezone>; the session setting gives the views the same zone as the 18.16 test.
    session.query(`SET session_timezone = '${SERVER_TIMEZONE}'`);
  });
  after(async () => {
    if (session?.open) session.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every migration, and a second run applies nothing', async () => {
    assert.match(session.query('SELECT version()', 'TSV'), /^2\d\./);
    const client = chdbAsClient(session);
    const files = await readMigrations();
    const first = await migrate({ client, database: DATABASE, logger });
    assert.deepEqual(first.applied.map((m) => m.version), files.map((f) => f.version));
    const second = await migrate({ client, database: DATABASE, logger });
    assert.deepEqual(second, { applied: [], alreadyApplied: files.length });
    const views = selectRows(session, `SELECT name FROM system.tables WHERE database = '${DATABASE}' AND engine = 'View' ORDER BY name`);
    assert.deepEqual(views.map((row) => row['name']), [...ANALYST_VIEWS].sort());
  });

  it('answers every analyst view with each event once, before and after OPTIMIZE ... FINAL', async () => {
    const client = chdbAsClient(session);
    // Current servers collapse copies inside one insert (optimize_on_insert) and merge small
    // parts within moments: separate inserts with merges stopped keep every copy on disk.
    session.query(`SYSTEM STOP MERGES ${DATABASE}.history_events`);
    session.query(`SYSTEM STOP MERGES ${DATABASE}.registrations`);
    for (const batch of insertBatches(historyEventRows())) await insertRows(client, `${DATABASE}.history_events`, batch);
    for (const row of registrationRows()) await insertRows(client, `${DATABASE}.registrations`, [row]);
    const count = (sql: string) => Number(selectRows(session, sql)[0]?.['n']);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS + 2);

    await assertAnalystViews(async (sql) => selectRows(session, sql));

    session.query(`SYSTEM START MERGES ${DATABASE}.history_events`);
    session.query(`OPTIMIZE TABLE ${DATABASE}.history_events FINAL`);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS);
    await assertAnalystViews(async (sql) => selectRows(session, sql));

    const featureInViews = selectRows(session, `SELECT table FROM system.columns WHERE database = '${DATABASE}' AND table LIKE 'v\\\\_%' AND name = 'feature'`);
    assert.deepEqual(featureInViews, []);
  });

  it('parses every statement of grants.sql', async () => {
    const statements = await readAnalystGrants({ database: DATABASE, ...PASSWORDS });
    assert.ok(statements.length > ANALYST_VIEWS.length);
    // chdb has no writable user storage (CREATE USER fails with ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND),
    // so the statements are parsed here and their GRANTs enforced below through users.xml.
    for (const statement of statements) assert.match(session.query(`EXPLAIN AST ${statement}`, 'TSV'), /Query/);
  });

  it('lets a user holding the analyst role’s grants read the views, but not feature vectors, other tables or writes', async () => {
    const grants = (await roleGrants(ANALYST_ROLE)).filter((statement) => statement.startsWith('GRANT SELECT'));
    // The views, plus the tables they read: history_events (by column), registrations, device_deliveries,
    // device_status, device_cameras, device_health_settings.
    assert.equal(grants.length, ANALYST_VIEWS.length + 6);
    await reopenAs('analyst', '<readonly>1</readonly>', grants);

    assert.equal(session.query(`SELECT getSetting('readonly')`, 'TSV').trim(), '1');
    for (const view of ANALYST_VIEWS) {
      assert.doesNotThrow(() => session.query(`SELECT * FROM ${DATABASE}.${view}`), `${view} must be readable with the role's grants`);
    }
    const count = (sql: string) => Number(selectRows(session, sql)[0]?.['n']);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.v_events`), UNIQUE_EVENTS);
    for (const example of await readmeExampleQueries()) assert.doesNotThrow(() => session.query(example), example);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events WHERE identity_id = 'emp-1'`), 3, 'granted columns stay readable');

    assert.throws(() => session.query(`SELECT feature FROM ${DATABASE}.history_events`), DENIED);
    assert.throws(() => session.query(`SELECT * FROM ${DATABASE}.history_events`), DENIED);
    assert.throws(() => session.query(`SELECT sum(length(feature)) FROM ${DATABASE}.history_events`), DENIED);
    assert.throws(() => session.query(`SELECT * FROM ${DATABASE}.schema_migrations`), DENIED);
    assert.throws(() => session.query(`INSERT INTO ${DATABASE}.registrations (event_id) VALUES ('x')`), /ACCESS_DENIED|Not enough privileges|readonly/);
    assert.throws(() => session.query(`CREATE VIEW ${DATABASE}.v_mine AS SELECT feature FROM ${DATABASE}.history_events`), /ACCESS_DENIED|Not enough privileges|readonly/);
  });

  it('lets a user holding the writer role’s grants insert into and read its two tables, and nothing more', async () => {
    const statements = await readAnalystGrants({ database: DATABASE, ...PASSWORDS });
    assert.ok(statements.some((statement) => statement.startsWith(`CREATE USER IF NOT EXISTS ${WRITER_USER} IDENTIFIED WITH sha256_hash BY `)));
    assert.ok(statements.includes(`GRANT ${WRITER_ROLE} TO ${WRITER_USER}`));
    const grants = await roleGrants(WRITER_ROLE);
    assert.ok(grants.every((grant) => !/WITH GRANT OPTION|ALL|ON \*\./i.test(grant)), 'no grant option, no wildcard');
    // Not readonly: a refusal below comes from the grants, not from readonly.
    await reopenAs('writer', '', grants);
    assert.equal(session.query(`SELECT getSetting('readonly')`, 'TSV').trim(), '0');

    const client = chdbAsClient(session);
    const count = (sql: string) => Number(selectRows(session, sql)[0]?.['n']);
    const events = count(`SELECT count() AS n FROM ${DATABASE}.history_events`);
    const decisions = count(`SELECT count() AS n FROM ${DATABASE}.registrations`);
    const [event] = historyEventRows();
    const [decision] = registrationRows();
    assert.ok(event && decision);
    await insertRows(client, `${DATABASE}.history_events`, [{ ...event, event_id: 'writer-test-event' }]);
    await insertRows(client, `${DATABASE}.registrations`, [{ ...decision, event_id: 'writer-test-event' }]);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events`), events + 1);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.registrations`), decisions + 1);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.registrations WHERE event_id = 'writer-test-event'`), 1, 'the registration worker’s lookup');

    const refused = [
      `DROP TABLE ${DATABASE}.history_events`,
      `DROP TABLE ${DATABASE}.registrations`,
      `TRUNCATE TABLE ${DATABASE}.registrations`,
      `DROP DATABASE ${DATABASE}`,
      `ALTER TABLE ${DATABASE}.history_events ADD COLUMN sneaky String`,
      `ALTER TABLE ${DATABASE}.history_events DELETE WHERE 1`,
      `ALTER TABLE ${DATABASE}.registrations DROP PARTITION 202405`,
      `CREATE TABLE ${DATABASE}.mine (x UInt8) ENGINE = Memory`,
      `CREATE DATABASE writer_own`,
      `CREATE VIEW ${DATABASE}.v_mine AS SELECT feature FROM ${DATABASE}.history_events`,
      `INSERT INTO ${DATABASE}.schema_migrations (version) VALUES (999)`,
      `SELECT * FROM ${DATABASE}.schema_migrations`,
      `SELECT * FROM ${DATABASE}.v_events`,
      `GRANT SELECT ON ${DATABASE}.history_events TO default`,
      `GRANT INSERT ON ${DATABASE}.schema_migrations TO default`,
      `CREATE USER intruder`,
    ];
    for (const sql of refused) assert.throws(() => session.query(sql), DENIED, sql);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events`), events + 1, 'nothing was dropped');
  });

  /** chdb always runs as `default`: reopens the session with `default` holding exactly these grants and profile settings. */
  async function reopenAs(name: string, profileSettings: string, grants: string[]): Promise<void> {
    const usersXml = join(dir, `${name}-users.xml`);
    await writeFile(
      usersXml,
      `<clickhouse>
  <profiles><default/><${name}>${profileSettings}</${name}></profiles>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>${name}</profile><quota>default</quota>
    <grants>${grants.map((grant) => `<query>${escapeXml(grant)}</query>`).join('')}</grants>
  </default></users>
  <quotas><default/></quotas>
</clickhouse>`,
    );
    const configXml = join(dir, `${name}-config.xml`);
    await writeFile(configXml, `<clickhouse><users_config>${escapeXml(usersXml)}</users_config></clickhouse>`);
    session.close();
    session = new Session(join(dir, 'data'), { connectionArgs: [`--config-file=${configXml}`] });
  }
});

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

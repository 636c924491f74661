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
import { ANALYST_ROLE, insertRows, migrate, readAnalystGrants, readMigrations } from '../src/index.js';
import { chdbAsClient, selectRows } from './chdb-client.js';
import { ANALYST_VIEWS, assertAnalystViews, DATABASE, historyEventRows, insertBatches, readmeExampleQueries, registrationRows, SERVER_TIMEZONE, UNIQUE_EVENTS } from './fixtures.js';

const logger = createLogger({ service: 'clickhouse-test', level: 'silent' });

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
    const statements = await readAnalystGrants({ database: DATABASE, analystPassword: 'analyst-secret' });
    assert.ok(statements.length > ANALYST_VIEWS.length);
    // chdb has no writable user storage (CREATE USER fails with ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND),
    // so the statements are parsed here and their GRANTs enforced below through users.xml.
    for (const statement of statements) assert.match(session.query(`EXPLAIN AST ${statement}`, 'TSV'), /Query/);
  });

  it('lets a user holding the analyst role’s grants read the views, but not feature vectors, other tables or writes', async () => {
    const grants = await readAnalystGrants({ database: DATABASE, analystPassword: 'analyst-secret' });
    const roleGrants = grants
      .filter((statement) => statement.startsWith('GRANT SELECT'))
      .map((statement) => statement.replace(new RegExp(`\\s+TO ${ANALYST_ROLE}$`), ''));
    assert.equal(roleGrants.length, ANALYST_VIEWS.length + 2);
    assert.ok(roleGrants.every((grant) => !grant.includes(' TO ')));

    // chdb always runs as `default`: give `default` exactly the role's grants and readonly=1.
    const usersXml = join(dir, 'analyst-users.xml');
    await writeFile(
      usersXml,
      `<clickhouse>
  <profiles><default/><analyst><readonly>1</readonly></analyst></profiles>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>analyst</profile><quota>default</quota>
    <grants>${roleGrants.map((grant) => `<query>${escapeXml(grant)}</query>`).join('')}</grants>
  </default></users>
  <quotas><default/></quotas>
</clickhouse>`,
    );
    const configXml = join(dir, 'analyst-config.xml');
    await writeFile(configXml, `<clickhouse><users_config>${escapeXml(usersXml)}</users_config></clickhouse>`);
    session.close();
    session = new Session(join(dir, 'data'), { connectionArgs: [`--config-file=${configXml}`] });

    assert.equal(session.query(`SELECT getSetting('readonly')`, 'TSV').trim(), '1');
    for (const view of ANALYST_VIEWS) {
      assert.doesNotThrow(() => session.query(`SELECT * FROM ${DATABASE}.${view}`), `${view} must be readable with the role's grants`);
    }
    const count = (sql: string) => Number(selectRows(session, sql)[0]?.['n']);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.v_events`), UNIQUE_EVENTS);
    for (const example of await readmeExampleQueries()) assert.doesNotThrow(() => session.query(example), example);
    assert.equal(count(`SELECT count() AS n FROM ${DATABASE}.history_events WHERE identity_id = 'emp-1'`), 3, 'granted columns stay readable');

    const denied = /ACCESS_DENIED|Not enough privileges/;
    assert.throws(() => session.query(`SELECT feature FROM ${DATABASE}.history_events`), denied);
    assert.throws(() => session.query(`SELECT * FROM ${DATABASE}.history_events`), denied);
    assert.throws(() => session.query(`SELECT sum(length(feature)) FROM ${DATABASE}.history_events`), denied);
    assert.throws(() => session.query(`SELECT * FROM ${DATABASE}.schema_migrations`), denied);
    assert.throws(() => session.query(`INSERT INTO ${DATABASE}.registrations (event_id) VALUES ('x')`), /ACCESS_DENIED|Not enough privileges|readonly/);
    assert.throws(() => session.query(`CREATE VIEW ${DATABASE}.v_mine AS SELECT feature FROM ${DATABASE}.history_events`), /ACCESS_DENIED|Not enough privileges|readonly/);
  });
});

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

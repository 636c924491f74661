/**
 * The schema, migrations, views and analyst account on Debian's ClickHouse 18.16 (the test kit's
 * server), through the package's own client, runner and insert helper.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@sophon/logger';
import { startClickHouse, type ClickHouseServer } from '@sophon/test-kit';
import {
  applyAnalystGrants,
  createClickHouseClient,
  DEFAULT_MIGRATIONS_DIR,
  dropExpiredPartitions,
  insertJsonLines,
  insertRows,
  legacyAnalystUser,
  migrate,
  readMigrations,
  type ClickHouseClient,
} from '../src/index.js';
import { ANALYST_VIEWS, assertAnalystViews, DATABASE, historyEventRows, insertBatches, readmeExampleQueries, registrationRows, SERVER_TIMEZONE, UNIQUE_EVENTS } from './fixtures.js';
import { tableColumns } from './testing.js';

const logger = createLogger({ service: 'clickhouse-test', level: 'silent' });
const ANALYST_PASSWORD = 'analyst-secret';

describe('ClickHouse 18.16', () => {
  let server: ClickHouseServer;
  let admin: ClickHouseClient;

  const select = async (sql: string, client = admin) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  const count = async (sql: string) => Number((await select(sql))[0]?.['n']);

  before(async () => {
    server = await startClickHouse({ timezone: SERVER_TIMEZONE, users: [legacyAnalystUser({ password: ANALYST_PASSWORD, database: DATABASE })] });
    admin = createClickHouseClient({ url: server.url, username: 'default', password: '' }, logger);
  });
  after(async () => {
    await admin?.close();
    await server?.close();
  });

  it('migrates an empty server, and a second run applies nothing', async () => {
    const files = await readMigrations();
    const first = await migrate({ client: admin, database: DATABASE, logger });
    assert.deepEqual(first.applied.map((m) => m.version), files.map((f) => f.version));
    assert.equal(first.alreadyApplied, 0);

    const second = await migrate({ client: admin, database: DATABASE, logger });
    assert.deepEqual(second.applied, []);
    assert.equal(second.alreadyApplied, files.length);

    const recorded = await select(`SELECT version, name, checksum, applied_at_ms FROM ${DATABASE}.schema_migrations ORDER BY version`);
    assert.deepEqual(
      recorded.map((row) => [Number(row['version']), row['name'], row['checksum']]),
      files.map((file) => [file.version, file.name, file.checksum]),
    );
    assert.ok(recorded.every((row) => Number(row['applied_at_ms']) > Date.parse('2024-01-01')));
  });

  it('the fixtures carry exactly the tables’ columns (JSONEachRow must send every column)', async () => {
    // The services check their own row types the same way; this keeps the fixtures honest.
    assert.deepEqual(Object.keys(historyEventRows()[0] ?? {}).sort(), await tableColumns(admin, DATABASE, 'history_events'));
    assert.deepEqual(Object.keys(registrationRows()[0] ?? {}).sort(), await tableColumns(admin, DATABASE, 'registrations'));
  });

  it('counts every event once in every view although two events were written twice', async () => {
    // The first batch as pre-serialised lines (the writer's way), the copies as row objects: the views must not tell them apart.
    const [first, ...copies] = insertBatches(historyEventRows());
    await insertJsonLines(admin, { database: DATABASE, table: 'history_events' }, first!.map((row) => JSON.stringify(row)));
    for (const batch of copies) await insertRows(admin, `${DATABASE}.history_events`, batch);
    for (const row of registrationRows()) await insertRows(admin, { database: DATABASE, table: 'registrations' }, [row]);
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS + 2, 'both copies are stored');

    await assertAnalystViews((sql) => select(sql));

    const viewColumns = await select(`SELECT table, name FROM system.columns WHERE database = '${DATABASE}' AND table LIKE 'v\\\\_%'`);
    assert.deepEqual([...new Set(viewColumns.map((row) => row['table']))].sort(), [...ANALYST_VIEWS].sort());
    assert.deepEqual(viewColumns.filter((row) => row['name'] === 'feature'), [], 'no view exposes the feature vector');
  });

  it('keeps one physical row per event after OPTIMIZE ... FINAL, the latest write', async () => {
    await admin.command({ query: `OPTIMIZE TABLE ${DATABASE}.history_events FINAL` });
    await admin.command({ query: `OPTIMIZE TABLE ${DATABASE}.registrations FINAL` });
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS);
    assert.equal(await count(`SELECT uniqExact(event_id) AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS);
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.registrations`), 2);
    const e1 = await select(`SELECT kafka_partition, kafka_offset, received_at_ms - event_time_ms AS lag_ms, feature FROM ${DATABASE}.history_events WHERE event_id = 'e1'`);
    assert.deepEqual(e1, [{ kafka_partition: 1, kafka_offset: '7', lag_ms: '300000', feature: [0.125, -0.5, 0.25] }]);
    await assertAnalystViews((sql) => select(sql));
  });

  it('lets the analyst read the views but not write, change the schema or read other databases', async () => {
    const analyst = createClickHouseClient({ url: server.url, username: 'analyst', password: ANALYST_PASSWORD, database: DATABASE }, logger);
    try {
      await admin.command({ query: 'CREATE TABLE IF NOT EXISTS default.private_notes (note String) ENGINE = Memory' });
      await assertAnalystViews((sql) => select(sql, analyst));
      for (const view of ANALYST_VIEWS) assert.ok(Array.isArray(await select(`SELECT * FROM ${view} LIMIT 1`, analyst)));
      const examples = await readmeExampleQueries();
      assert.equal(examples.length, 10);
      for (const example of examples) assert.ok(Array.isArray(await select(example, analyst)), example);
      // The fixtures are from 2024: "last week" of box-a is empty. 18.16 compares a DateTime with a
      // Date as plain numbers (seconds against days), so `hour >= today() - 7` took in every hour.
      const ofOneBox = examples.filter((example) => example.includes("dev_sno = 'X'")).map((example) => example.replace("dev_sno = 'X'", "dev_sno = 'box-a'"));
      assert.equal(ofOneBox.length, 2);
      for (const example of ofOneBox) assert.deepEqual(await select(example, analyst), [], example);

      await assert.rejects(insertRows(analyst, 'history_events', historyEventRows().slice(0, 1)), /readonly/i);
      await assert.rejects(analyst.command({ query: 'DROP TABLE history_events' }), /readonly/i);
      await assert.rejects(analyst.command({ query: 'CREATE VIEW v_mine AS SELECT 1' }), /readonly/i);
      // A readonly user may "set" a setting to its current value: pick one that is a change everywhere.
      const [current] = await select(`SELECT value FROM system.settings WHERE name = 'max_memory_usage'`, analyst);
      assert.ok(current && current['value'] !== '12345678', 'the setting below is a change on this server');
      await assert.rejects(analyst.query({ query: 'SELECT 1', clickhouse_settings: { max_memory_usage: '12345678' } }).then((r) => r.text()), /readonly/i);
      await assert.rejects(select('SELECT count() FROM default.private_notes', analyst), /Access denied/i);
      await assert.rejects(
        createClickHouseClient({ url: server.url, username: 'analyst', password: 'wrong', database: DATABASE }, logger).query({ query: 'SELECT 1' }),
        /password is incorrect|Authentication failed|Wrong password/i,
      );

      await assert.rejects(
        applyAnalystGrants({ client: admin, database: DATABASE, analystPassword: ANALYST_PASSWORD, writerPassword: 'writer-secret', logger }),
        /ClickHouse 18\.16\.1 has no SQL access control: define the analyst in users\.xml/,
      );

      // Not enforceable on 18.16 (no per-table or column privileges): the analyst reaches the
      // base table and its feature vectors. Pinned here so a change of that fact is noticed.
      const feature = await select(`SELECT feature FROM history_events WHERE event_id = 'e1'`, analyst);
      assert.deepEqual(feature, [{ feature: [0.125, -0.5, 0.25] }]);
    } finally {
      await analyst.close();
    }
  });

  it('drops monthly partitions older than the retention window', async () => {
    const old = { ...historyEventRows()[0]!, event_id: 'old', event_time: Date.parse('2023-01-15T08:00:00Z') / 1000, event_time_ms: Date.parse('2023-01-15T08:00:00Z') };
    await insertRows(admin, `${DATABASE}.history_events`, [old]);
    const now = new Date('2024-06-15T00:00:00Z');
    const dryRun = await dropExpiredPartitions({ client: admin, database: DATABASE, keepMonths: 13, now, dryRun: true, logger });
    assert.deepEqual(dryRun, [{ table: 'history_events', partition: '202301' }]);
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.history_events WHERE event_id = 'old'`), 1);

    const dropped = await dropExpiredPartitions({ client: admin, database: DATABASE, keepMonths: 13, now, logger });
    assert.deepEqual(dropped, [{ table: 'history_events', partition: '202301' }]);
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.history_events WHERE event_id = 'old'`), 0);
    assert.equal(await count(`SELECT count() AS n FROM ${DATABASE}.history_events`), UNIQUE_EVENTS, 'May 2024 is kept');
    const nothingLeft = await dropExpiredPartitions({ client: admin, database: DATABASE, keepMonths: 13, now, logger });
    assert.deepEqual(nothingLeft, []);
  });

  it('refuses edited, missing and out-of-order migrations, in a database whose name needs quoting', async () => {
    const database = 'sophon tamper-test';
    const dir = await mkdtemp(join(tmpdir(), 'sophon-migrations-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const first = await migrate({ client: admin, database, migrationsDir: dir, logger });
      assert.equal(first.applied.length, (await readMigrations(dir)).length);
      assert.equal(await count(`SELECT count() AS n FROM system.tables WHERE database = '${database}' AND name LIKE 'v\\\\_%'`), ANALYST_VIEWS.length);

      const [firstFile] = await readMigrations(dir);
      assert.ok(firstFile);
      const original = join(dir, firstFile.file);
      await writeFile(original, `-- an innocent comment\n${await readFile(original, 'utf8')}`);
      await assert.rejects(migrate({ client: admin, database, migrationsDir: dir, logger }), /0001_history_events\.sql changed after it was applied/);

      await rm(original);
      await assert.rejects(migrate({ client: admin, database, migrationsDir: dir, logger }), /migration 1 \(history_events\) was applied but its file is missing/);

      await cp(join(DEFAULT_MIGRATIONS_DIR, firstFile.file), original);
      await writeFile(join(dir, '0002_a_late_fix.sql'), 'SELECT 1;\n');
      await assert.rejects(migrate({ client: admin, database, migrationsDir: dir, logger }), /0002_a_late_fix\.sql and 0002_registrations\.sql share version 2/);
      await rm(join(dir, '0002_a_late_fix.sql'));

      await writeFile(join(dir, '0099_next.sql'), 'CREATE TABLE IF NOT EXISTS {database}.next_thing (id UInt8) ENGINE = MergeTree ORDER BY id;\n');
      const next = await migrate({ client: admin, database, migrationsDir: dir, logger });
      assert.deepEqual(next.applied.map((m) => m.name), ['next']);

      await writeFile(join(dir, '0050_forgotten.sql'), 'SELECT 1;\n');
      await assert.rejects(migrate({ client: admin, database, migrationsDir: dir, logger }), /0050_forgotten\.sql is new but sorts before applied migration 99/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a lone surrogate (an emoji cut in half) is stored as U+FFFD by both insert helpers, not a refused insert', async () => {
    const table = `${DATABASE}.lone_surrogates`;
    await admin.command({ query: `CREATE TABLE ${table} (helper String, name String, note String) ENGINE = Memory` });
    try {
      const rows = [
        { helper: 'lines', name: 'Zoë \ud83d', note: '\ude00 and a pair 😀 and a literal \\ud83d' },
        { helper: 'rows', name: '\udbff', note: 'x' },
      ];
      // A clean line beside it: the lines are searched once joined, then mended one by one.
      await insertJsonLines(admin, table, [JSON.stringify(rows[0]), JSON.stringify({ helper: 'lines, clean', name: '张三', note: '😀' })]);
      await insertRows(admin, table, [rows[1]!]);
      const stored = await select(`SELECT helper, name, note FROM ${table} ORDER BY helper`);
      assert.deepEqual(stored, [
        { helper: 'lines', name: 'Zoë \ufffd', note: '\ufffd and a pair 😀 and a literal \\ud83d' },
        { helper: 'lines, clean', name: '张三', note: '😀' },
        { helper: 'rows', name: '\ufffd', note: 'x' },
      ]);
    } finally {
      await admin.command({ query: `DROP TABLE ${table}` });
    }
  });
});

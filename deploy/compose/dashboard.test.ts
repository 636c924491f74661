/**
 * The provisioned Grafana dashboard (deploy/grafana/dashboards/) runs as it would in Grafana:
 * its ClickHouse queries, macros expanded as the data source does, as the analyst, on the test
 * kit's ClickHouse 18.16 and on chdb (a current release, with exactly the analyst role's
 * grants), over the shared fixtures with their duplicate writes; its Prometheus queries name
 * only metrics and labels the services register. The provisioned alert rules
 * (deploy/grafana/provisioning/alerting/) run the same way, on the same servers.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Session } from 'chdb';
import { ANALYST_ROLE, ANALYST_USER, createClickHouseClient, insertRows, legacyAnalystUser, migrate, readAnalystGrants, type ClickHouseClient } from '@sophon/clickhouse';
import { createLogger } from '@sophon/logger';
import { createMetricsRegistry } from '@sophon/ops-http';
import { startClickHouse, type ClickHouseServer } from '@sophon/test-kit';
import { chdbAsClient, DATABASE, historyEventRows, insertBatches, registrationRows, selectRows, SERVER_TIMEZONE, UNIQUE_EVENTS } from '@sophon/clickhouse/testing';
import { readCompose, ROOT } from './compose-file.js';
import { dashboardPanels, deviceFixtureRows, expandClickHouseMacros, promqlLabelNames, promqlMetricNames, provisionedDataSources, readAlertRules, readDashboard, type QueryRange } from './grafana-dashboard.js';

const logger = createLogger({ service: 'dashboard-test', level: 'silent' });
const panels = dashboardPanels();
const CLICKHOUSE = 'grafana-clickhouse-datasource';
const clickhousePanels = panels.filter((panel) => panel.datasource?.type === CLICKHOUSE);
const prometheusPanels = panels.filter((panel) => panel.datasource?.type === 'prometheus');

/** The fixtures' day (2024-05-02 in Asia/Shanghai) and around it; per-minute and hourly intervals. */
const ranges: QueryRange[] = [60, 3600].map((intervalSeconds) => ({ from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-03T00:00:00Z'), intervalSeconds }));

type Select = (sql: string) => Promise<Record<string, unknown>[]>;
const total = (rows: Record<string, unknown>[], field: string) => rows.reduce((sum, row) => sum + Number(row[field]), 0);
/** The rows' `names`, sorted; 64-bit integers arrive quoted (no fixture text is all digits). */
const fields = (rows: Record<string, unknown>[], ...names: string[]) =>
  rows.map((row) => names.map((name) => (typeof row[name] === 'string' && /^\d+$/.test(row[name]) ? Number(row[name]) : row[name]))).sort();

/** The shared events and registrations, and the device registry and device-sync rows (deviceFixtureRows). */
async function insertFixtures(client: ClickHouseClient) {
  for (const batch of insertBatches(historyEventRows())) await insertRows(client, `${DATABASE}.history_events`, batch);
  for (const row of registrationRows()) await insertRows(client, `${DATABASE}.registrations`, [row]);
  for (const { table, rows } of deviceFixtureRows()) await insertRows(client, `${DATABASE}.${table}`, rows);
}

/**
 * What each panel must show for the fixtures: 7 events, 9 rows written (e1 and e5 twice), so
 * every count below also proves duplicates are counted once.
 */
const EXPECTED: Record<string, (rows: Record<string, unknown>[], range: QueryRange) => void> = {
  'Events per minute, per box': (rows, range) => assert.equal(Math.round((total(rows, 'events_per_minute') * range.intervalSeconds) / 60), UNIQUE_EVENTS),
  Events: (rows) => assert.deepEqual(rows.map((row) => Number(row.events)), [UNIQUE_EVENTS]),
  'Boxes reporting': (rows) => assert.deepEqual(rows.map((row) => Number(row.boxes)), [2]),
  'Strangers per minute, per box': (rows, range) => assert.equal(Math.round((total(rows, 'events_per_minute') * range.intervalSeconds) / 60), 2),
  'Blacklist hits': (rows) => assert.deepEqual(rows.map((row) => Number(row.blacklist_hits)), [1]),
  'Blacklist and VIP hits': (rows) => assert.deepEqual(rows.map((row) => [row.person_type, row.identity_id]), [['vip', 'vip-1'], ['blacklist', 'bl-1']]),
  'Age groups': (rows) => {
    assert.equal(total(rows, 'events'), UNIQUE_EVENTS);
    assert.deepEqual([rows[0]?.age_group, Number(rows[0]?.events)], ['youth', 3]);
  },
  Gender: (rows) => assert.equal(total(rows, 'events'), UNIQUE_EVENTS),
  'Recognition scores': (rows) => {
    assert.equal(total(rows, 'events'), UNIQUE_EVENTS);
    assert.deepEqual(rows.map((row) => row.score_from), ['20', '35', '85', '90', '95']);
  },
  'Average score by person type': (rows) => assert.deepEqual([...new Set(rows.map((row) => row.kind))].sort(), ['blacklist', 'employee', 'stranger', 'vip']),
  'Silent boxes': (rows) => assert.deepEqual(rows.map((row) => Number(row.silent_boxes)), [2]),
  'Boxes by time since their last upload': (rows) => assert.deepEqual(rows.map((row) => row.dev_sno).sort(), ['box-a', 'box-b']),
  // Device health: box-a's report is 2 minutes old, box-s's 2 hours; box-b only sent events, in 2024.
  'Current health alerts': (rows) =>
    assert.deepEqual(fields(rows, 'alert', 'dev_sno', 'subject', 'value', 'threshold').map((row) => (row[0] === 'silent_box' ? row.slice(0, 3) : row)), [
      ['camera_offline', 'box-a', 'cam-1', 0, 0],
      ['high_temperature', 'box-a', '', 85, 80],
      ['low_disk', 'box-a', '', 0.5, 1],
      ['silent_box', 'box-b', ''],
      ['silent_box', 'box-s', ''],
    ]),
  'Boxes silent past the threshold': (rows) => assert.deepEqual(fields(rows, 'dev_sno', 'threshold_minutes'), [['box-b', 15], ['box-s', 15]]),
  'Boxes and their last status report': (rows) =>
    assert.deepEqual(fields(rows, 'dev_sno', 'box_ip', 'firmware_version', 'disk_free_gb', 'temperature', 'cameras_offline'), [
      ['box-6', '', '', null, null, 0], // V6R2C01 reports cameras only
      ['box-a', '192.168.1.251', 'V5R3C01', 0.5, 85, 1],
      ['box-s', '192.168.1.251', 'V5R6C01', 5, 40, 0],
    ]),
  'Cameras offline': (rows) => assert.deepEqual(fields(rows, 'dev_sno', 'ep_id'), [['box-a', 'cam-1']]),
  'Firmware versions': (rows) =>
    assert.deepEqual(fields(rows, 'source_format', 'firmware_version', 'boxes', 'dev_snos'), [
      ['V5R3C01', 'V5R3C01', 1, 'box-a'],
      ['V5R3C01', 'V5R6C01', 1, 'box-s'],
      ['V6R2C01', '', 1, 'box-6'],
    ]),
  'Pending deliveries': (rows) => assert.deepEqual(fields(rows, 'dev_sno', 'latest_outcome', 'registrations'), [['box-s', 'no_address', 1], ['box-s', 'unreachable', 1]]),
};

/** What each alert rule's query counts on the fixtures: every kind fires, box-b and box-s are silent. */
const FIRING: Record<string, number> = { silent_box: 2, camera_offline: 1, low_disk: 1, high_temperature: 1 };
const alertRules = readAlertRules();

async function assertAlertRuleCounts(select: Select) {
  for (const rule of alertRules) {
    for (const query of rule.data.filter((entry) => entry.datasourceUid !== '__expr__')) {
      const rows = await select(query.model.rawSql!).catch((error: Error) => assert.fail(`${rule.title}: ${error.message}`));
      assert.deepEqual(rows.map((row) => Object.values(row).map(Number)), [[FIRING[rule.labels!['kind']!]]], rule.title);
    }
  }
}

async function assertPanelAnswers(select: Select) {
  for (const panel of clickhousePanels) {
    for (const target of panel.targets ?? []) {
      for (const range of ranges) {
        const sql = expandClickHouseMacros(target.rawSql!, range);
        const rows = await select(sql).catch((error: Error) => assert.fail(`${panel.title}: ${error.message}\n${sql}`));
        assert.ok(rows.length > 0, `${panel.title} shows nothing for the fixtures`);
        if (target.queryType === 'timeseries') assert.equal(Object.keys(rows[0]!)[0], 'time', `${panel.title}: a time series starts with its time column`);
        EXPECTED[panel.title]!(rows, range);
      }
    }
  }
}

describe('Grafana dashboard deploy/grafana/dashboards/sophon-pipeline.json', () => {
  test('every panel uses a provisioned data source; the provider loads this folder', () => {
    const sources = provisionedDataSources();
    for (const panel of panels) {
      for (const reference of [panel.datasource, ...(panel.targets ?? []).map((target) => target.datasource)]) {
        assert.ok(reference && sources.some((source) => source.uid === reference.uid && source.type === reference.type), `${panel.title}: ${JSON.stringify(reference)}`);
      }
    }
    assert.equal(readDashboard().uid, 'sophon-pipeline');
    const provider = readFileSync(`${ROOT}deploy/grafana/provisioning/dashboards/dashboards.yml`, 'utf8');
    assert.match(provider, /path: \/etc\/grafana\/dashboards\/sophon\n/);
    assert.ok(new Set(panels.map((panel) => panel.id)).size === panels.length, 'panel ids are unique');
  });

  test('covers events per box, strangers and blacklist, demographics, scores, silent boxes and pipeline health', () => {
    assert.deepEqual(clickhousePanels.map((panel) => panel.title).sort(), Object.keys(EXPECTED).sort());
    const expressions = prometheusPanels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr!)).join('\n');
    for (const metric of ['consumer_lag_messages', 'consumer_messages_dead_lettered_total', 'gateway_events_total{outcome="rejected"}', 'device_sync_deliveries_total', 'face-registrations|face-registrations-retry']) {
      assert.ok(expressions.includes(metric), metric);
    }
  });

  test('ClickHouse panels read only the analyst views, never face feature vectors', () => {
    for (const panel of clickhousePanels) {
      for (const target of panel.targets ?? []) {
        const sql = target.rawSql!;
        assert.doesNotMatch(sql, /\bfeature\b/i, panel.title);
        const sources = [...sql.matchAll(/\b(?:FROM|JOIN)\s+([\w.`]+)/gi)].map((match) => match[1]!);
        assert.ok(sources.length > 0 && sources.every((source) => /^v_\w+$/.test(source)), `${panel.title} reads ${sources.join(', ')}`);
        assert.equal(target.format, target.queryType === 'timeseries' ? 0 : 1, `${panel.title}: the plugin's format matches the query type`);
      }
    }
  });

  describe('its ClickHouse queries on ClickHouse 18.16, as the analyst', () => {
    const password = 'analyst-dashboard-test';
    let server: ClickHouseServer;
    let admin: ClickHouseClient;
    let analyst: ClickHouseClient;

    before(async () => {
      server = await startClickHouse({ timezone: SERVER_TIMEZONE, users: [legacyAnalystUser({ password, database: DATABASE })] });
      admin = createClickHouseClient({ url: server.url, username: 'default', password: '' }, logger);
      await migrate({ client: admin, database: DATABASE, logger });
      await insertFixtures(admin);
      // The data source connects with defaultDatabase: the queries name views unqualified.
      analyst = createClickHouseClient({ url: server.url, username: ANALYST_USER, password, database: DATABASE }, logger);
    });
    after(async () => {
      await analyst?.close();
      await admin?.close();
      await server?.close();
    });

    test('every panel shows the fixtures’ answers', async () => {
      await assertPanelAnswers(async (sql) => (await analyst.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>());
    });

    test('every alert rule’s query counts the fixtures’ firing rows: the silent-box rule fires', async () => {
      await assertAlertRuleCounts(async (sql) => (await analyst.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>());
    });
  });

  describe('its ClickHouse queries on chdb (a current release), with exactly the analyst role’s grants', () => {
    let dir: string;
    let session: Session;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sophon-dashboard-chdb-'));
      session = new Session(join(dir, 'data'));
      const client = chdbAsClient(session);
      await migrate({ client, database: DATABASE, logger });
      await insertFixtures(client);
      session.close();

      // chdb always runs as `default` and has no SQL user storage: give `default` the role's
      // GRANTs from grants.sql and readonly = 1 through users.xml (as packages/clickhouse's chdb test does).
      const grants = (await readAnalystGrants({ database: DATABASE, analystPassword: 'unused', writerPassword: 'unused' }))
        .filter((statement) => statement.startsWith('GRANT SELECT') && statement.endsWith(` TO ${ANALYST_ROLE}`))
        .map((statement) => statement.replace(new RegExp(`\\s+TO ${ANALYST_ROLE}$`), ''));
      const usersXml = join(dir, 'users.xml');
      await writeFile(
        usersXml,
        `<clickhouse>
  <profiles><default/><analyst><readonly>1</readonly><session_timezone>${SERVER_TIMEZONE}</session_timezone></analyst></profiles>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>analyst</profile><quota>default</quota>
    <grants>${grants.map((grant) => `<query>${grant.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</query>`).join('')}</grants>
  </default></users>
  <quotas><default/></quotas>
</clickhouse>`,
      );
      const configXml = join(dir, 'config.xml');
      await writeFile(configXml, `<clickhouse><users_config>${usersXml}</users_config></clickhouse>`);
      session = new Session(join(dir, 'data'), { connectionArgs: [`--config-file=${configXml}`] });
      session.query(`USE ${DATABASE}`);
    });
    after(async () => {
      if (session?.open) session.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('every panel shows the fixtures’ answers', async () => {
      assert.equal(session.query(`SELECT getSetting('readonly')`, 'TSV').trim(), '1');
      await assertPanelAnswers(async (sql) => selectRows(session, sql));
    });

    test('every alert rule’s query counts the fixtures’ firing rows: the silent-box rule fires', async () => {
      await assertAlertRuleCounts(async (sql) => selectRows(session, sql));
    });

    test('a readonly = 1 user cannot set max_execution_time, which Grafana’s data source sends: grants.sql allows that one', () => {
      assert.throws(() => session.query('SET max_execution_time = 60'), /READONLY|readonly/);
      assert.match(readFileSync(`${ROOT}deploy/clickhouse/grants.sql`, 'utf8'), /max_execution_time CHANGEABLE_IN_READONLY;/);
    });
  });

  test('alert rules: one per device-health kind, on the analyst data source, firing above 0, thresholds documented, folder mounted', () => {
    assert.deepEqual(alertRules.map((rule) => rule.labels?.['kind']).sort(), Object.keys(FIRING).sort());
    const clickhouse = provisionedDataSources().filter((source) => source.type === CLICKHOUSE).map((source) => source.uid);
    for (const rule of alertRules) {
      const kind = rule.labels!['kind']!;
      const [query, ...expressions] = rule.data;
      assert.ok(query && clickhouse.includes(query.datasourceUid), `${rule.title}: queries ${query?.datasourceUid}`);
      assert.equal(query.model.rawSql, `SELECT count() AS firing FROM v_device_health_alerts WHERE alert = '${kind}'`, rule.title);
      assert.ok(expressions.every((entry) => entry.datasourceUid === '__expr__'), `${rule.title}: one query, then expressions`);
      const condition = rule.data.find((entry) => entry.refId === rule.condition)?.model;
      assert.deepEqual(condition?.conditions?.map((entry) => entry.evaluator), [{ type: 'gt', params: [0] }], `${rule.title}: fires above 0`);
      assert.match(rule.annotations?.['description'] ?? '', /device_health_settings/, `${rule.title}: says where its threshold is`);
      assert.equal(rule.annotations?.['__dashboardUid__'], readDashboard().uid);
      assert.ok(panels.some((panel) => String(panel.id) === rule.annotations?.['__panelId__']), `${rule.title}: links a panel`);
    }
    const volumes = readCompose().services.grafana!.volumes ?? [];
    assert.ok(volumes.includes('./deploy/grafana/provisioning/alerting:/etc/grafana/provisioning/alerting:ro'), 'compose mounts the alert rules');
  });

  test('Prometheus panels name only metrics and labels the services register', () => {
    const registered = registeredMetrics();
    for (const panel of prometheusPanels) {
      for (const target of panel.targets ?? []) {
        const names = promqlMetricNames(target.expr!);
        assert.ok(names.length > 0, `${panel.title}: no metric in ${target.expr}`);
        for (const name of names) {
          const labels = registered.get(name);
          assert.ok(labels, `${panel.title}: ${name} is registered by no service`);
          for (const label of promqlLabelNames(target.expr!)) assert.ok(labels.has(label), `${panel.title}: ${name} has no label ${label}`);
        }
      }
    }
  });

  test('the PromQL reader finds metric and label names', () => {
    const expression = 'histogram_quantile(0.95, sum by (le) (rate(gateway_kafka_publish_seconds_bucket{status=~"5.."}[$__rate_interval]))) + up';
    assert.deepEqual(promqlMetricNames(expression), ['gateway_kafka_publish_seconds_bucket', 'up']);
    assert.deepEqual(promqlLabelNames(expression), ['le', 'status']);
  });
});

/**
 * Every series the services expose, with its labels: the metrics declared in their sources
 * (new Counter/Gauge/Histogram/Summary({ name, labelNames })), prom-client's process metrics,
 * and Prometheus' own `up`. Every series also has `service` (the registry's default label) and
 * Prometheus' `job` and `instance`.
 */
function registeredMetrics(): Map<string, Set<string>> {
  const always = ['service', 'job', 'instance'];
  const metrics = new Map<string, Set<string>>([['up', new Set(['job', 'instance'])]]);
  const sources = ['services', 'packages'].flatMap((top) =>
    readdirSync(`${ROOT}${top}`).flatMap((name) => {
      const src = `${ROOT}${top}/${name}/src`;
      try {
        return readdirSync(src, { recursive: true }).map(String).filter((file) => file.endsWith('.ts')).map((file) => readFileSync(join(src, file), 'utf8'));
      } catch {
        return [];
      }
    }),
  );
  for (const source of sources) {
    for (const [, kind, body] of source.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{([\s\S]*?)\}\)/g)) {
      const name = /name:\s*'([^']+)'/.exec(body!)?.[1];
      if (!name) continue;
      const labels = [...(/labelNames:\s*\[([^\]]*)\]/.exec(body!)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((match) => match[1]!);
      const series = kind === 'Histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : kind === 'Summary' ? [name, `${name}_sum`, `${name}_count`] : [name];
      for (const seriesName of series) metrics.set(seriesName, new Set([...labels, ...always, ...(seriesName.endsWith('_bucket') ? ['le'] : [])]));
    }
  }
  for (const metric of createMetricsRegistry('any').getMetricsAsArray()) metrics.set(metric.name, new Set(always));
  return metrics;
}


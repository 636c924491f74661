/**
 * The provisioned Grafana dashboard as data: its panels, their queries, and the ClickHouse
 * data source's macro expansion (as grafana-clickhouse-datasource 4.x does it) so the SQL can
 * be run against real servers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ROOT } from './compose-file.js';

export interface DataSourceRef {
  type: string;
  uid: string;
}

export interface Target {
  refId: string;
  datasource?: DataSourceRef;
  rawSql?: string;
  queryType?: string;
  format?: number;
  expr?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
}

export const DASHBOARD_FILE = `${ROOT}deploy/grafana/dashboards/sophon-pipeline.json`;

export function readDashboard(): { uid: string; title: string; panels: Panel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { uid: string; title: string; panels: Panel[] };
}

/** Every panel, those inside collapsed rows included; rows themselves left out. */
export function dashboardPanels(panels = readDashboard().panels): Panel[] {
  return panels.flatMap((panel) => (panel.type === 'row' ? dashboardPanels(panel.panels ?? []) : [panel]));
}

export function provisionedDataSources(): DataSourceRef[] {
  const file = `${ROOT}deploy/grafana/provisioning/datasources/datasources.yml`;
  return (parse(readFileSync(file, 'utf8')) as { datasources: DataSourceRef[] }).datasources.map(({ type, uid }) => ({ type, uid }));
}

export interface QueryRange {
  from: Date;
  to: Date;
  /** Grafana's $__interval for the panel, in seconds. */
  intervalSeconds: number;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The plugin's backend macros this dashboard may use, expanded as the plugin does. Anything
 * else that looks like a macro or a template variable is an error: the test would not be
 * running what Grafana runs.
 */
export function expandClickHouseMacros(sql: string, { from, to, intervalSeconds }: QueryRange): string {
  const interval = Math.max(Math.floor(intervalSeconds), 1);
  const expanded = sql
    .replace(/\$__timeFilter\(\s*([^)]+?)\s*\)/g, (_, column: string) => `${column} >= toDateTime(${seconds(from)}) AND ${column} <= toDateTime(${seconds(to)})`)
    .replace(/\$__dateFilter\(\s*([^)]+?)\s*\)/g, (_, column: string) => `${column} >= toDate('${day(from)}') AND ${column} <= toDate('${day(to)}')`)
    .replace(/\$__fromTime\b/g, `toDateTime(${seconds(from)})`)
    .replace(/\$__toTime\b/g, `toDateTime(${seconds(to)})`)
    .replace(/\$__interval_s\b/g, String(interval));
  const left = /\$\{?\w+/.exec(expanded);
  if (left) throw new Error(`unsupported macro or variable ${left[0]} in: ${sql}`);
  return expanded;
}

/**
 * Metric names in a PromQL expression: identifiers that are neither functions, keywords, label
 * names (inside {} or by/without/on/ignoring (...)) nor ranges.
 */
export function promqlMetricNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);
  return [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((match) => match[1]!).filter((name) => !keywords.has(name));
}

/** Label names a PromQL expression groups or filters by. */
export function promqlLabelNames(expression: string): string[] {
  const labels: string[] = [];
  for (const [, list] of expression.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) labels.push(...list!.split(',').map((label) => label.trim()).filter(Boolean));
  for (const [, matchers] of expression.matchAll(/\{([^}]*)\}/g)) labels.push(...[...matchers!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1]!));
  return labels;
}

/** One Grafana-managed alert rule of deploy/grafana/provisioning/alerting/*.yaml (file provisioning, apiVersion 1). */
export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: { refId: string; datasourceUid: string; model: Target & { type?: string; expression?: string; conditions?: { evaluator: { type: string; params: number[] } }[] } }[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export const ALERTING_FOLDER = `${ROOT}deploy/grafana/provisioning/alerting`;

export function readAlertRules(): AlertRule[] {
  return readdirSync(ALERTING_FOLDER)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => {
      const provisioning = parse(readFileSync(`${ALERTING_FOLDER}/${file}`, 'utf8')) as { apiVersion: number; groups?: { rules: AlertRule[] }[] };
      if (provisioning.apiVersion !== 1) throw new Error(`${file}: apiVersion ${provisioning.apiVersion}, not 1`);
      return (provisioning.groups ?? []).flatMap((group) => group.rules);
    });
}

const MINUTE_MS = 60_000;
type Row = Record<string, unknown>;

function statusRow(devSno: string, reportId: string, at: number, fields: Row = {}): Row {
  return {
    report_id: reportId, dev_sno: devSno, source_format: 'V5R3C01', received_at: Math.floor(at / 1000), received_at_ms: at, box_ip: '192.168.1.251',
    firmware_version: 'V5R3C01', sdk_version: '1.1', cpu_usage: 5, memory_usage: 0.5, disk_free_gb: 5, temperature: 40,
    cameras_total: 1, cameras_online: 1, cameras_offline: 0, inserted_at_ms: at, ...fields,
  };
}

function cameraRow(devSno: string, reportId: string, index: number, epId: string, status: 'online' | 'offline', at: number): Row {
  return { report_id: reportId, dev_sno: devSno, camera_index: index, ep_id: epId, ip: '192.168.1.10', status, received_at: Math.floor(at / 1000), received_at_ms: at, inserted_at_ms: at };
}

function deliveryRow(registrationId: string, devSno: string, outcome: string, at: number, attempt = 1): Row {
  const seconds = Math.floor(at / 1000);
  return { registration_id: registrationId, dev_sno: devSno, command: 'create_person', identity_id: `id-${registrationId}`, outcome, attempt, source_dev_sno: 'box-a', event_time: seconds, event_time_ms: at, attempted_at: seconds, attempted_at_ms: at };
}

/**
 * The device registry and device-sync rows the dashboard and the alert rules read, relative to
 * `now` (their views compare with now()). box-a (the events fixtures' box) reported 2 minutes
 * ago: low disk, 85 °C, cam-1 offline (that report written twice, as a Kafka replay does);
 * box-s last reported 2 hours ago (silent, as is box-b, heard from by events in 2024 only);
 * box-6 is a V6R2C01 box (cameras only). Deliveries: box-s holds two pending registrations.
 */
export function deviceFixtureRows(now = Date.now()): { table: string; rows: Row[] }[] {
  const latestA = statusRow('box-a', 'a2', now - 2 * MINUTE_MS, { disk_free_gb: 0.5, temperature: 85, cameras_total: 2, cameras_online: 1, cameras_offline: 1 });
  const v6 = { source_format: 'V6R2C01', box_ip: '', firmware_version: '', sdk_version: '', cpu_usage: null, memory_usage: null, disk_free_gb: null, temperature: null };
  return [
    { table: 'device_status', rows: [statusRow('box-a', 'a1', now - 10 * MINUTE_MS), statusRow('box-s', 's1', now - 120 * MINUTE_MS, { firmware_version: 'V5R6C01' }), latestA, statusRow('box-6', 'b1', now - MINUTE_MS, v6)] },
    { table: 'device_status', rows: [{ ...latestA, inserted_at_ms: now }] },
    {
      table: 'device_cameras',
      rows: [
        cameraRow('box-a', 'a1', 0, 'cam-1', 'online', now - 10 * MINUTE_MS),
        cameraRow('box-a', 'a2', 0, 'cam-1', 'offline', now - 2 * MINUTE_MS),
        cameraRow('box-a', 'a2', 1, 'cam-2', 'online', now - 2 * MINUTE_MS),
        cameraRow('box-6', 'b1', 0, 'cam-6', 'online', now - MINUTE_MS),
      ],
    },
    { table: 'device_cameras', rows: [cameraRow('box-a', 'a2', 0, 'cam-1', 'offline', now - 2 * MINUTE_MS)] },
    {
      table: 'device_deliveries',
      rows: [
        deliveryRow('r1', 'box-a', 'pushed', now - 5 * MINUTE_MS),
        deliveryRow('r1', 'box-s', 'unreachable', now - 5 * MINUTE_MS),
        deliveryRow('r1', 'box-s', 'unreachable', now - 3 * MINUTE_MS, 2),
        deliveryRow('r2', 'box-s', 'no_address', now - 4 * MINUTE_MS),
        deliveryRow('r2', 'box-a', 'refused', now - 4 * MINUTE_MS),
        deliveryRow('r3', 'box-6', 'unreachable', now - 6 * MINUTE_MS),
        deliveryRow('r3', 'box-6', 'pushed', now - 2 * MINUTE_MS, 2),
      ],
    },
  ];
}

/**
 * The provisioned Grafana dashboard as data: its panels, their queries, and the ClickHouse
 * data source's macro expansion (as grafana-clickhouse-datasource 4.x does it) so the SQL can
 * be run against real servers.
 */
import { readFileSync } from 'node:fs';
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

import type { HistoryEventRow } from '@sophon/clickhouse';

const FEATURE_KEY = '"feature":[';

/**
 * A history_events row as one JSONEachRow line. The 512-number feature vector is most of a row,
 * and formatting doubles is most of what JSON.stringify spends on it (profiled: a quarter of the
 * writer's CPU). When the history-events message holds the vector once, as the gateway's
 * JSON.stringify wrote it, that text is reused as is: it is exactly what stringifying the parsed
 * numbers again would give.
 *
 * Why one `"feature":[` in the message can only be ext_data.info.feature when the row has a
 * feature: that vector is in the message, written as this key and an array; and the nine
 * characters `"feature"` can only be a whole key (inside a string, the quote after `feature` would
 * be escaped). A second occurrence (an unknown field with an array named feature) falls back to
 * JSON.stringify.
 */
export function historyEventRowJson(row: HistoryEventRow, messageText: string): string {
  const featureText = row.feature.length > 0 ? onlyFeatureArrayText(messageText) : undefined;
  if (featureText === undefined) return JSON.stringify(row);
  const { feature: _reused, ...rest } = row;
  const json = JSON.stringify(rest);
  return `${json.slice(0, -1)},"feature":${featureText}}`;
}

function onlyFeatureArrayText(text: string): string | undefined {
  const at = text.indexOf(FEATURE_KEY);
  if (at < 0 || text.includes(FEATURE_KEY, at + FEATURE_KEY.length)) return undefined;
  const start = at + FEATURE_KEY.length - 1;
  const end = text.indexOf(']', start); // an array of numbers holds no other bracket
  return end < 0 ? undefined : text.slice(start, end + 1);
}

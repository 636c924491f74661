/**
 * ClickHouse refuses a whole JSONEachRow insert when one string holds a lone UTF-16 surrogate
 * ("missing second part of surrogate pair"): a box that cuts a name in the middle of an emoji
 * sends one as a JSON escape (`\ud83d`), and JSON.stringify writes it back the same way. Retrying
 * or replaying the same bytes fails the same way, so an acknowledged event would never get its
 * row. Such a surrogate becomes U+FFFD, as decoding invalid UTF-8 does.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const wellFormed = (_key: string, value: unknown) => (typeof value === 'string' ? value.replace(LONE_SURROGATE, '\ufffd') : value);

/**
 * `line` (JSON.stringify output) with any lone surrogate replaced. JSON.stringify writes a
 * surrogate pair as the character itself and only a lone surrogate as a `\ud800`-`\udfff` escape,
 * so a line without "\ud" (nearly every one) is returned as it is, without parsing it.
 */
function wellFormedJsonLine(line: string): string {
  return line.includes('\\ud') ? JSON.stringify(JSON.parse(line), wellFormed) : line;
}

/** `row`, or a copy of it with any lone surrogate in its strings replaced. */
export function wellFormedRow<Row extends object>(row: Row): Row {
  const line = JSON.stringify(row);
  return line.includes('\\ud') ? (JSON.parse(line, wellFormed) as Row) : row;
}

/**
 * The lines joined by newlines, with any lone surrogate replaced. Searched once in the joined text:
 * searching each line first would flatten every line built by concatenation (the analytics
 * writer's, around a feature vector) into a copy of its own before the join copies it again.
 */
export function wellFormedJsonLines(lines: readonly string[]): string {
  const text = lines.join('\n');
  return text.includes('\\ud') ? lines.map(wellFormedJsonLine).join('\n') : text;
}

/**
 * SQL text helpers. ClickHouse 18.16 has no query parameters, so every value that reaches SQL
 * is inlined through one of these escapers, and every identifier is backquoted.
 */

/** A ClickHouse string literal: single quotes, with backslashes and quotes escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A backquoted identifier (database, table or column name); any name, even `odd-name`. */
export function sqlIdentifier(name: string): string {
  if (name.length === 0) throw new RangeError('sqlIdentifier: an identifier cannot be empty');
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** `db`.`table` from "table" (left to the connection's database) or "db.table". */
export function sqlTableName(table: string): string {
  const dot = table.indexOf('.');
  if (dot === -1) return sqlIdentifier(table);
  return `${sqlIdentifier(table.slice(0, dot))}.${sqlIdentifier(table.slice(dot + 1))}`;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `{name}` with `fragments[name]`, which must already be SQL (escaped by the caller,
 * e.g. `{ database: sqlIdentifier('sophon') }`). An unknown placeholder is an error rather
 * than left in place: it is a typo in a migration, found before anything runs.
 */
export function renderSqlTemplate(text: string, fragments: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (match, name: string) => {
    const fragment = fragments[name];
    if (fragment === undefined) {
      throw new RangeError(`unknown placeholder ${match} (known: ${Object.keys(fragments).map((key) => `{${key}}`).join(', ')})`);
    }
    return fragment;
  });
}

/**
 * Splits a file of statements. Deliberately simple, so it never needs a SQL parser:
 *  - a statement ends with `;` at the end of a line (trailing blanks allowed);
 *  - lines whose first non-blank characters are `--` are comments and are dropped.
 * So a `;` ending a line inside a multi-line string literal, or a `--` line inside one,
 * would be misread: migrations do not contain such literals. A final statement without
 * `;` is kept.
 */
export function splitSqlStatements(text: string): string[] {
  const withoutComments = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;[ \t]*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

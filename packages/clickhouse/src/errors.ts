/**
 * ClickHouse errors a row's own data causes: the server could not read or convert a value. Retrying
 * the row can never succeed; the other rows of its insert are fine. Everything else (network,
 * timeouts, TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, and schema or permission problems such as
 * UNKNOWN_TABLE or a missing column, which every row would hit alike) is transient: retried until
 * the server or the deployment is fixed, never dead-lettered.
 */
const ROW_DATA_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DOESNT_MATCH'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [377, 'ILLEGAL_SYNTAX_FOR_DATA_TYPE'],
]);

/**
 * The server's error code. @clickhouse/client sets `code` when it recognises the message; the
 * 18.16 server's format ("Code: 27, e.displayText() = ...") it leaves in the message only.
 */
export function clickhouseErrorCode(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = Number((error as { code?: unknown }).code);
  if (Number.isInteger(code) && code > 0) return code;
  const match = /^Code: (\d+)[,.]/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

/** True when the error is about the data of the rows sent (see ROW_DATA_ERROR_CODES), not the server. */
export function isRowDataError(error: unknown): boolean {
  const code = clickhouseErrorCode(error);
  return code !== undefined && ROW_DATA_ERROR_CODES.has(code);
}

/** "CANNOT_PARSE_NUMBER (72): Unsigned type must not contain '-' symbol ..." for logs and dead letters. */
export function describeClickHouseError(error: unknown): string {
  const code = clickhouseErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  // 18.16 wraps the text in "Code: N, e.displayText() = DB::Exception: ..., e.what() = DB::Exception".
  const text = message
    .replace(/^Code: \d+[,.]\s*(e\.displayText\(\) = )?(DB::Exception: )?/, '')
    .replace(/,?\s*e\.what\(\) = DB::Exception\s*$/, '')
    .trim();
  if (code === undefined) return text.slice(0, 500);
  const name = ROW_DATA_ERROR_CODES.get(code);
  return `${name ? `${name} (${code})` : `code ${code}`}: ${text}`.slice(0, 500);
}

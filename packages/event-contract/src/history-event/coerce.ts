/**
 * Coercions from what devices send to the normalised form. Each returns the value unchanged when it
 * cannot be coerced, so schema validation reports it at its pointer.
 */

/** Decimal number text, optionally signed, with a fraction or an exponent. No "NaN", "Infinity", hex or "". */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Below this a timestamp is taken as seconds: 1e11 ms is 1973, 1e11 s is the year 5138. */
const SECONDS_BELOW = 1e11;

/** A number, or a string holding a finite decimal number, as a number. */
export function coerceNumber(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!DECIMAL.test(text)) return value;
  const number = Number(text);
  return Number.isFinite(number) ? number : value;
}

/** Seconds or milliseconds, number or numeric string, as integer milliseconds. */
export function coerceTimestampMs(value: unknown): unknown {
  const number = coerceNumber(value);
  if (typeof number !== 'number' || !Number.isFinite(number)) return value;
  return Math.round(number < SECONDS_BELOW ? number * 1000 : number);
}

/** An integer, or a string holding one ("4", "4.0"), as an integer. */
export function coerceInteger(value: unknown): unknown {
  const number = coerceNumber(value);
  return typeof number === 'number' && Number.isInteger(number) ? number : value;
}

/** Finite numbers as strings (identity ids, device_type). */
export function coerceNumberToString(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

const WANT_ACTIONS = new Set([0, 1001, 1002]);

/** want_action 0/1001/1002 sent as numbers. */
export function coerceWantAction(value: unknown): unknown {
  return typeof value === 'number' && WANT_ACTIONS.has(value) ? String(value) : value;
}

/** true/false, "True"/"False" (Python), "true"/"false", 1/0; undefined for anything else. */
export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const text = value.toLowerCase();
    if (text === 'true' || text === 'false') return text === 'true';
  }
  return undefined;
}

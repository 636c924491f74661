import type { FieldError } from '../errors.js';
import { jsonPointer } from '../json-pointer.js';
import { describeValue, isPlainObject } from '../values.js';
import type { OnlineStatus } from './types.js';

/** Longest string kept from a report (a URL, a build banner): a report is small, and stays small in Kafka. */
export const MAX_STATUS_STRING_CHARS = 2048;
/** Most cameras one report may list (a box serves a few dozen). */
export const MAX_CAMERAS = 256;

/**
 * Reads the fields of one object of a report, collecting every problem with a pointer into the
 * report as sent. `null` counts as absent.
 */
export class FieldReader {
  constructor(
    readonly object: Record<string, unknown>,
    readonly path: readonly (string | number)[],
    readonly errors: FieldError[],
  ) {}

  private fail(field: string, message: string) {
    this.errors.push({ pointer: jsonPointer(...this.path, field), message });
  }

  private present(field: string, required: boolean): unknown {
    const value = this.object[field];
    if (value === undefined || value === null) {
      if (required) this.fail(field, 'is required');
      return undefined;
    }
    return value;
  }

  /** A string, trimmed (the vendor's own example sends "192.168.1.251 "); numbers are taken as their text. */
  string(field: string, required: boolean): string | null {
    const value = this.present(field, required);
    if (value === undefined) return null;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string') return this.fail(field, `must be a string (got ${describeValue(value)})`), null;
    if (value.length > MAX_STATUS_STRING_CHARS) return this.fail(field, `must be at most ${MAX_STATUS_STRING_CHARS} characters long (got ${value.length} characters)`), null;
    return value.trim();
  }

  /** A finite number, or a string holding one (some firmware quotes numbers). */
  number(field: string, required: boolean, range: { min?: number; max?: number } = {}): number | null {
    const value = this.present(field, required);
    if (value === undefined) return null;
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number)) return this.fail(field, `must be a number (got ${describeValue(value)})`), null;
    if ((range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max)) {
      return this.fail(field, `must be from ${range.min ?? '-∞'} to ${range.max ?? '∞'} (got ${number})`), null;
    }
    return number;
  }

  /** "online" or "offline" (case and surrounding blanks ignored). */
  onlineStatus(field: string, required: boolean): OnlineStatus | null {
    const value = this.present(field, required);
    if (value === undefined) return null;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    if (text === 'online' || text === 'offline') return text;
    return this.fail(field, `must be "online" or "offline" (got ${describeValue(value)})`), null;
  }

  object_(field: string, required: boolean): FieldReader | undefined {
    const value = this.present(field, required);
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) return this.fail(field, `must be an object (got ${describeValue(value)})`), undefined;
    return new FieldReader(value, [...this.path, field], this.errors);
  }

  /** Each item of an array of objects; wrong items are reported and skipped. */
  objects(field: string, required: boolean): FieldReader[] {
    const value = this.present(field, required);
    if (value === undefined) return [];
    if (!Array.isArray(value)) return this.fail(field, `must be an array (got ${describeValue(value)})`), [];
    if (value.length > MAX_CAMERAS) return this.fail(field, `must have at most ${MAX_CAMERAS} items (got ${value.length} items)`), [];
    const readers: FieldReader[] = [];
    value.forEach((item, index) => {
      if (isPlainObject(item)) readers.push(new FieldReader(item, [...this.path, field, index], this.errors));
      else this.errors.push({ pointer: jsonPointer(...this.path, field, index), message: `must be an object (got ${describeValue(item)})` });
    });
    return readers;
  }
}

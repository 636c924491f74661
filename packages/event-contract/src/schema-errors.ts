import type { ErrorObject } from 'ajv';
import type { FieldError } from './errors.js';
import { jsonPointer } from './json-pointer.js';
import { describeValue } from './values.js';

/**
 * Turns ajv errors (compiled with `verbose: true`, so each carries its data and parent schema) into
 * FieldErrors a person can act on: `required` points at the missing field, and every other message
 * says what the value must be and what it was. `expectations` overrides the wording for schema nodes
 * whose keywords read badly one by one (e.g. "an integer from 1 to 5" rather than "must be <= 5").
 */
export function schemaErrorsToFieldErrors(
  errors: readonly ErrorObject[] | null | undefined,
  expectations: ReadonlyMap<object, string>,
  limit = Number.POSITIVE_INFINITY,
): FieldError[] {
  const all = errors ?? [];
  // An enum says everything a type error on the same value would.
  const enumPaths = new Set(all.filter((error) => error.keyword === 'enum').map((error) => error.instancePath));
  const relevant = all.filter((error) => !(error.keyword === 'type' && enumPaths.has(error.instancePath)));
  // A 150 000-item array of wrong values gives as many errors: describe only the first `limit`.
  const described = relevant.slice(0, Math.max(0, limit)).map((error) => describeError(error, expectations));
  if (relevant.length > described.length) described.push({ pointer: '', message: `${relevant.length - described.length} more errors not shown` });
  return described;
}

function describeError(error: ErrorObject, expectations: ReadonlyMap<object, string>): FieldError {
  if (error.keyword === 'required') {
    return { pointer: error.instancePath + jsonPointer(String(error.params['missingProperty'])), message: 'is required' };
  }
  const expected = (error.parentSchema && expectations.get(error.parentSchema)) ?? genericExpectation(error);
  return { pointer: error.instancePath, message: `${expected} (got ${observed(error)})` };
}

const ARTICLES: Record<string, string> = { array: 'an array', integer: 'an integer', object: 'an object' };

function genericExpectation(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': {
      const type = String(params['type']);
      return `must be ${ARTICLES[type] ?? `a ${type}`}`;
    }
    case 'enum':
      return `must be one of ${(params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}`;
    case 'maxLength':
      return `must be at most ${String(params['limit'])} characters long`;
    case 'minLength':
      return params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long`;
    case 'maxItems':
      return `must have at most ${String(params['limit'])} items`;
    case 'minItems':
      return `must have at least ${String(params['limit'])} items`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(params['comparison'])} ${String(params['limit'])}`;
    case 'pattern':
      return `must match the pattern ${String(params['pattern'])}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function observed(error: ErrorObject): string {
  const data: unknown = error.data;
  if (error.keyword === 'maxLength' && typeof data === 'string') return `${data.length} characters`;
  if ((error.keyword === 'maxItems' || error.keyword === 'minItems') && Array.isArray(data)) return `${data.length} items`;
  return describeValue(data);
}

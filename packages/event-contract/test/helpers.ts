import assert from 'node:assert/strict';
import { normaliseHistoryEvent, type FieldError, type ParseContext } from '../src/index.js';
import { CTX, OPTIONS } from './fixtures.js';

export function normalised(raw: unknown, ctx: ParseContext = CTX) {
  const result = normaliseHistoryEvent(raw, ctx, OPTIONS);
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result;
}

export function failed(raw: unknown, ctx: ParseContext = CTX): { errors: FieldError[]; devSno?: string } {
  const result = normaliseHistoryEvent(raw, ctx, OPTIONS);
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) throw new Error('unreachable');
  return result;
}

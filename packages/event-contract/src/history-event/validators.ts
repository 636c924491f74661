import { Ajv, type SchemaObject } from 'ajv';
import { schemaErrorsToFieldErrors } from '../schema-errors.js';
import type { FieldError } from '../errors.js';
import { historyEventMessageSchema } from './message-schema.js';
import {
  boxSchema,
  deviceTypeSchema,
  featureSchema,
  historyEventSchema,
  MAX_FEATURE_LENGTH,
  personTypeSchema,
  timestampSchema,
} from './schema.js';
import type { HistoryEvent } from './types.js';
import type { HistoryEventMessage } from './message.js';

// Compiled once, at module load. `verbose` gives each error its data and parent schema for the messages.
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validateHistoryEvent = ajv.compile<HistoryEvent>(historyEventSchema as SchemaObject);
const validateHistoryEventMessage = ajv.compile<HistoryEventMessage>(historyEventMessageSchema as SchemaObject);

const EXPECTATIONS: ReadonlyMap<object, string> = new Map<object, string>([
  [timestampSchema, 'must be an integer number of milliseconds from 2000-01-01 to 2100-01-01 UTC'],
  [personTypeSchema, 'must be an integer from 1 to 5'],
  [deviceTypeSchema, 'must be a string of digits'],
  [boxSchema, 'must be an array of exactly 4 numbers [x1, y1, x2, y2]'],
  [featureSchema, `must be an array of at most ${MAX_FEATURE_LENGTH} numbers`],
]);

/** Schema errors of a (normalised) event, at most `limit` of them and a count of the rest; empty when it is valid. */
export function historyEventSchemaErrors(event: unknown, limit?: number): FieldError[] {
  return validateHistoryEvent(event) ? [] : schemaErrorsToFieldErrors(validateHistoryEvent.errors, EXPECTATIONS, limit);
}

/** Schema errors of a history-events message value; empty when it is valid. */
export function historyEventMessageSchemaErrors(message: unknown): FieldError[] {
  return validateHistoryEventMessage(message) ? [] : schemaErrorsToFieldErrors(validateHistoryEventMessage.errors, EXPECTATIONS);
}

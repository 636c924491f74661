import { PublishError, RecordTooLargeError, type DurableProducer, type ProducerRecord } from '@sophon/kafka';
import type { FieldError, ParsedUpload, UploadAdapter } from '@sophon/event-contract';
import { buildQuarantineMessage, MAX_QUARANTINE_RECORD_BYTES } from '@sophon/event-contract';
import type { Logger } from '@sophon/logger';
import type { DevicePrincipal } from '../http/device-auth.js';
import { HttpError } from '../http/http-error.js';
import type { GatewayMetrics } from '../metrics.js';
import { answerFor, answerForUnreadable, type ItemOutcome, type UploadAnswer } from './upload-answer.js';

export type { UploadAnswer } from './upload-answer.js';

export interface UploadContext {
  principal: DevicePrincipal;
  receivedAt: number;
  path: string;
  remoteAddress: string | undefined;
  /** The client asked for invalid events as 400s (`?strict=1`, see isStrictRequest). */
  strict?: boolean;
  /** What parseJson kept of the body as text (see ParseContext.featureJson). */
  featureJson?: string;
}

export interface IngestDeps {
  adapter: UploadAdapter;
  producer: DurableProducer;
  quarantineTopic: string;
  /** Upper bound on a quarantine record (it is also at most MAX_QUARANTINE_RECORD_BYTES). */
  maxQuarantineTextChars: number;
  maxEventsPerRequest: number;
  retryAfterSeconds: number;
  consumeRateLimit: (device: string, events: number) => Promise<void>;
  metrics: GatewayMetrics;
  logger: Logger;
}

/**
 * One upload (a single event or a batch): every item is parsed by the adapter; valid ones
 * become their Kafka messages, invalid ones a quarantine message with their errors. All of
 * them are published together, and only once Kafka has acknowledged them all does the
 * device hear 200, with each item's status (accepted, or quarantined with its errors).
 * Anything else is 503: retry later.
 */
export interface UploadHandler {
  /** The body (UTF-8, no BOM) as JSON, as this kind's adapter reads it (see UploadAdapter.parseJson); throws what JSON.parse throws. */
  parseJson(body: Buffer): ParsedUpload;
  upload(body: unknown, context: UploadContext): Promise<UploadAnswer>;
  /** A body that never became JSON is quarantined too (as text, bounded); the answer says so. */
  quarantineUnreadable(problem: { message: string; rawText: string; pointer: string }, context: UploadContext): Promise<UploadAnswer>;
}

export function createUploadHandler(deps: IngestDeps): UploadHandler {
  const maxQuarantineBytes = Math.min(MAX_QUARANTINE_RECORD_BYTES, deps.maxQuarantineTextChars);

  const upload = async (body: unknown, context: UploadContext): Promise<UploadAnswer> => {
    const isBatch = Array.isArray(body);
    let items: unknown[] = Array.isArray(body) ? body : [body];
    if (items.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'the batch is empty: send at least one event');
    if (items.length > deps.maxEventsPerRequest) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `a request may carry at most ${deps.maxEventsPerRequest} events; this one has ${items.length}`);
    }

    // Authorisation and rate first, on what each item claims, before any picture is decoded: a
    // token bound to box A never costs us the parsing of a batch for box B, nor publishes any of it.
    const devices = new Map<string, number>();
    for (const item of items) {
      const device = authorisedDevice(context.principal, deps.adapter.claimedDevSno(item));
      devices.set(device, (devices.get(device) ?? 0) + 1);
    }
    for (const [device, count] of devices) await deps.consumeRateLimit(device, count);

    const sameUpload = new Map<string, number>();
    // Only a single event's vector is ever kept as text; a batch that had one would lose it.
    if (isBatch && context.featureJson !== undefined) throw new Error('a feature vector kept as text for a batch');
    const featureJson = context.featureJson;
    const parsed = items.map((item) => deps.adapter.parse(item, { receivedAt: context.receivedAt, boundDevSno: context.principal.devSno, sameUpload, featureJson }));
    // What the adapter settled on must agree with the claim checked above (a second, cheap check).
    for (const result of parsed) authorisedDevice(context.principal, result.devSno);

    const records: ProducerRecord[] = [];
    const outcomes: ItemOutcome[] = [];
    // A loop, not a callback: nothing captures `items`, so the parsed body (base64 text as large as
    // the request) can be collected while the publish below waits for Kafka, which bounds what a
    // stalled Kafka costs in memory per request.
    for (let index = 0; index < parsed.length; index++) {
      const result = parsed[index]!;
      // An event whose record Kafka would refuse can never be stored as it is: it is quarantined
      // like an invalid one, rather than a 413 that its box would re-send forever, its batch with it.
      const errors = result.ok ? tooLargeErrors(deps.producer, result.messages) : result.errors;
      if (result.ok && errors.length === 0) {
        records.push(...result.messages);
        outcomes.push({ index, status: 'accepted', event_id: result.eventId });
      } else {
        records.push(
          buildQuarantineMessage({
            topic: deps.quarantineTopic,
            receivedAt: context.receivedAt,
            adapter: deps.adapter.name,
            errors,
            raw: (!result.ok && result.raw) || items[index],
            devSno: result.devSno ?? context.principal.devSno,
            path: context.path,
            remoteAddress: context.remoteAddress,
            maxBytes: maxQuarantineBytes,
          }),
        );
        outcomes.push({ index, status: 'quarantined', errors });
      }
    }

    // The parsed body (base64 text, 4/3 of the pictures' bytes) is not needed once the records are
    // built: drop it before a publish that may wait for a stalled Kafka, as the in-flight gate counts
    // a request's body once, not its text on top of its records.
    body = undefined;
    items = [];
    await publish(deps, records);

    const accepted = outcomes.filter((o) => o.status === 'accepted').length;
    deps.metrics.events.inc({ outcome: 'accepted', reason: 'valid' }, accepted);
    deps.metrics.events.inc({ outcome: 'rejected', reason: 'invalid' }, outcomes.length - accepted);
    for (const outcome of outcomes) {
      if (outcome.status === 'quarantined') {
        deps.logger.info({ index: outcome.index, errors: outcome.errors.slice(0, 5), device: context.principal.label }, 'event invalid and quarantined');
      }
    }
    return answerFor(outcomes, isBatch, context.strict === true);
  };

  const quarantineUnreadable: UploadHandler['quarantineUnreadable'] = async (problem, context) => {
    const error = { pointer: problem.pointer, message: problem.message };
    const message = buildQuarantineMessage({
      topic: deps.quarantineTopic,
      receivedAt: context.receivedAt,
      adapter: deps.adapter.name,
      errors: [error],
      raw: undefined,
      rawText: problem.rawText,
      devSno: context.principal.devSno,
      path: context.path,
      remoteAddress: context.remoteAddress,
      maxBytes: maxQuarantineBytes,
    });
    await publish(deps, [message]);
    deps.metrics.events.inc({ outcome: 'rejected', reason: 'unreadable' });
    return answerForUnreadable(error, context.strict === true);
  };

  const parseJson: UploadHandler['parseJson'] = deps.adapter.parseJson?.bind(deps.adapter) ?? ((body) => ({ value: JSON.parse(body.toString('utf8')) }));
  return { parseJson, upload, quarantineUnreadable };
}

/** The device an item is counted for; 403 when the token is bound to another one. */
function authorisedDevice(principal: DevicePrincipal, claimed: string | undefined): string {
  if (principal.devSno !== undefined && claimed !== undefined && claimed !== principal.devSno) {
    throw new HttpError(403, 'PERMISSION_DENIED', `this token is bound to device ${principal.devSno} and cannot post for device ${claimed}`);
  }
  return claimed ?? principal.devSno ?? principal.label;
}

async function publish(deps: IngestDeps, records: ProducerRecord[]) {
  const started = process.hrtime.bigint();
  try {
    await deps.producer.publish(records);
  } catch (error) {
    deps.metrics.publishSeconds.observe({ result: 'error' }, seconds(started));
    deps.logger.warn({ err: error, messages: records.length }, 'Kafka did not acknowledge');
    throw publishFailure(error, deps.retryAfterSeconds);
  }
  deps.metrics.publishSeconds.observe({ result: 'ok' }, seconds(started));
  deps.metrics.publishedBytes.inc(records.reduce((sum, record) => sum + record.value.length, 0));
}

/** An error for each of an event's records that its topic would refuse as too large. */
function tooLargeErrors(producer: DurableProducer, messages: ProducerRecord[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const message of messages) {
    const error = producer.tooLarge(message);
    if (error) errors.push({ pointer: '', message: `makes a message of ${error.bytes} bytes, more than topic ${error.topic} accepts (${error.limit} bytes)` });
  }
  return errors;
}

/** The answer to a failed publish, true to what may have reached Kafka. */
function publishFailure(error: unknown, retryAfterSeconds: number): HttpError {
  if (error instanceof RecordTooLargeError) {
    // Not retryable as is: the same upload would be refused again.
    return new HttpError(413, 'PAYLOAD_TOO_LARGE', `a message of this upload is ${error.bytes} bytes, more than topic ${error.topic} accepts (${error.limit} bytes); nothing was stored`);
  }
  const retry = { 'Retry-After': String(retryAfterSeconds) };
  // Only the producer can tell that nothing was sent; for anything else "may have" is the truth.
  if (!(error instanceof PublishError) || error.maybeStored) {
    return new HttpError(503, 'UNAVAILABLE', 'Kafka did not confirm the events: they may have been stored; retrying is safe (duplicates are dropped by event id)', {}, retry);
  }
  return new HttpError(503, 'UNAVAILABLE', 'events could not be stored durably: nothing was stored; retry later', {}, retry);
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

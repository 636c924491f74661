import type { DurableProducer, ProducerRecord } from '@sophon/kafka';
import type { FieldError, UploadAdapter } from '@sophon/event-contract';
import { buildQuarantineMessage } from '@sophon/event-contract';
import type { Logger } from '@sophon/logger';
import type { DevicePrincipal } from '../http/device-auth.js';
import { HttpError } from '../http/http-error.js';
import type { GatewayMetrics } from '../metrics.js';

export interface UploadContext {
  principal: DevicePrincipal;
  receivedAt: number;
  path: string;
  remoteAddress: string | undefined;
}

export interface IngestDeps {
  adapter: UploadAdapter;
  producer: DurableProducer;
  quarantineTopic: string;
  /** Unreadable bodies are kept up to this many characters (the topic's message size bounds it). */
  maxQuarantineTextChars: number;
  maxEventsPerRequest: number;
  retryAfterSeconds: number;
  consumeRateLimit: (device: string, events: number) => Promise<void>;
  metrics: GatewayMetrics;
  logger: Logger;
}

type ItemOutcome = { index: number; status: 'accepted'; event_id: string } | { index: number; status: 'rejected'; errors: FieldError[] };

/** The answer's body and status; the route sends it. */
export interface UploadAnswer {
  status: number;
  body: unknown;
}

/**
 * One upload (a single event or a batch): every item is parsed by the adapter; valid ones
 * become their Kafka messages, invalid ones a quarantine message with their errors. All of
 * them are published together, and only once Kafka has acknowledged them all does the
 * device hear 200 (or 400 for a lone invalid event). Anything else is 503: retry later.
 */
export interface UploadHandler {
  upload(body: unknown, context: UploadContext): Promise<UploadAnswer>;
  /** A body that never became JSON is kept too (as text, capped), before the device hears 400. */
  quarantineUnreadable(problem: { message: string; rawText: string; pointer: string }, context: UploadContext): Promise<void>;
}

export function createUploadHandler(deps: IngestDeps): UploadHandler {
  const upload = async (body: unknown, context: UploadContext): Promise<UploadAnswer> => {
    const isBatch = Array.isArray(body);
    const items: unknown[] = isBatch ? body : [body];
    if (items.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'the batch is empty: send at least one event');
    if (items.length > deps.maxEventsPerRequest) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `a request may carry at most ${deps.maxEventsPerRequest} events; this one has ${items.length}`);
    }

    const records: ProducerRecord[] = [];
    const outcomes: ItemOutcome[] = [];
    const devices = new Map<string, number>();
    const parsed = items.map((item) => deps.adapter.parse(item, { receivedAt: context.receivedAt, boundDevSno: context.principal.devSno }));

    // Authorisation first: a token bound to box A never publishes anything, valid or not, for box B.
    for (const result of parsed) {
      const claimed = result.devSno;
      if (context.principal.devSno !== undefined && claimed !== undefined && claimed !== context.principal.devSno) {
        throw new HttpError(403, 'PERMISSION_DENIED', `this token is bound to device ${context.principal.devSno} and cannot post for device ${claimed}`);
      }
      const device = claimed ?? context.principal.devSno ?? context.principal.label;
      devices.set(device, (devices.get(device) ?? 0) + 1);
    }
    for (const [device, count] of devices) await deps.consumeRateLimit(device, count);

    // A loop, not a callback: nothing captures `items`, so the parsed body (base64 text as large as
    // the request) can be collected while the publish below waits for Kafka, which bounds what a
    // stalled Kafka costs in memory per request.
    for (let index = 0; index < parsed.length; index++) {
      const result = parsed[index]!;
      if (result.ok) {
        records.push(...result.messages);
        outcomes.push({ index, status: 'accepted', event_id: result.eventId });
      } else {
        records.push(
          buildQuarantineMessage({
            topic: deps.quarantineTopic,
            receivedAt: context.receivedAt,
            adapter: deps.adapter.name,
            errors: result.errors,
            raw: items[index],
            devSno: result.devSno ?? context.principal.devSno,
            path: context.path,
            remoteAddress: context.remoteAddress,
          }),
        );
        outcomes.push({ index, status: 'rejected', errors: result.errors });
      }
    }

    await publish(deps, records);

    const accepted = outcomes.filter((o) => o.status === 'accepted').length;
    const rejected = outcomes.length - accepted;
    deps.metrics.events.inc({ outcome: 'accepted', reason: 'valid' }, accepted);
    deps.metrics.events.inc({ outcome: 'rejected', reason: 'invalid' }, rejected);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        deps.logger.info({ index: outcome.index, errors: outcome.errors.slice(0, 5), device: context.principal.label }, 'event rejected and quarantined');
      }
    }

    if (!isBatch) {
      const [only] = outcomes;
      if (only?.status === 'accepted') return { status: 200, body: { data: { event_id: only.event_id, status: 'accepted' } } };
      const errors = only?.status === 'rejected' ? only.errors : [];
      throw new HttpError(400, 'INVALID_ARGUMENT', `the event is invalid: ${describe(errors)}`, { errors });
    }
    const summary = { accepted, rejected, events: outcomes };
    if (accepted === 0) throw new HttpError(400, 'INVALID_ARGUMENT', `all ${rejected} events of the batch are invalid`, summary);
    return { status: 200, body: { data: summary } };
  };

  const quarantineUnreadable: UploadHandler['quarantineUnreadable'] = async (problem, context) => {
    const rawText = problem.rawText.length > deps.maxQuarantineTextChars ? problem.rawText.slice(0, deps.maxQuarantineTextChars) : problem.rawText;
    const message = buildQuarantineMessage({
      topic: deps.quarantineTopic,
      receivedAt: context.receivedAt,
      adapter: deps.adapter.name,
      errors: [{ pointer: problem.pointer, message: problem.message }],
      raw: undefined,
      rawText,
      devSno: context.principal.devSno,
      path: context.path,
      remoteAddress: context.remoteAddress,
    });
    deps.metrics.events.inc({ outcome: 'rejected', reason: 'unreadable' });
    await publish(deps, [message]);
  };

  return { upload, quarantineUnreadable };
}

async function publish(deps: IngestDeps, records: ProducerRecord[]) {
  const started = process.hrtime.bigint();
  try {
    await deps.producer.publish(records);
  } catch (error) {
    deps.metrics.publishSeconds.observe({ result: 'error' }, seconds(started));
    deps.logger.warn({ err: error, messages: records.length }, 'Kafka did not acknowledge: answering 503');
    throw new HttpError(
      503,
      'UNAVAILABLE',
      'events could not be stored durably; nothing was accepted, retry later',
      {},
      { 'Retry-After': String(deps.retryAfterSeconds) },
    );
  }
  deps.metrics.publishSeconds.observe({ result: 'ok' }, seconds(started));
  deps.metrics.publishedBytes.inc(records.reduce((sum, record) => sum + record.value.length, 0));
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

function describe(errors: FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.pointer || '(event)'} ${e.message}`);
  return shown.join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : '');
}

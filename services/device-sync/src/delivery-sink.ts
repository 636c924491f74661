import { epochSeconds } from '@sophon/clickhouse';
import { ContractError, decodeFaceRegistration, type FaceRegistrationCommand } from '@sophon/event-contract';
import { PermanentError, type ConsumedMessage, type DurableProducer, type MessageSink, type ProducerRecord, type SinkContext } from '@sophon/kafka';
import { backoffDelay, sleep, type BackoffSettings } from '@sophon/lifecycle';
import { createPersonRequest, pushToBox, type BoxClientSettings } from './box-client.js';
import type { BoxDirectory } from './box-directory.js';
import type { BoxGate } from './box-gate.js';
import { deliveryKey, type DeliveriesTable, type DeliveryOutcome, type DeliveryRow } from './deliveries-table.js';
import type { DeviceSyncMetrics } from './metrics.js';
import type { PictureStore } from './pictures.js';
import { forBox, parkedOf, parkedRecord } from './retry-headers.js';
import { targetBoxes, type TargetPolicy } from './targets.js';

export interface DeliverySinkOptions {
  retryTopic: string;
  policy: TargetPolicy;
  directory: BoxDirectory;
  gate: BoxGate;
  pictures: Pick<PictureStore, 'read'>;
  deliveries: DeliveriesTable;
  producer: Pick<DurableProducer, 'publish'>;
  box: BoxClientSettings;
  retry: BackoffSettings;
  giveUpMs: number;
  metrics: DeviceSyncMetrics;
  now?: () => number;
}

/** One registration for one box. */
interface Delivery {
  message: ConsumedMessage;
  command: FaceRegistrationCommand;
  box: string;
  attempt: number;
  notBefore: number;
  firstAttemptAt: number;
}

type Picture = Buffer | 'missing' | 'too-large';

/**
 * Delivers a batch of face-registrations (or of parked deliveries from the retry topic; the same
 * sink serves both):
 *
 *  1. each command becomes one delivery per target box (a parked one names its box);
 *  2. one lookup in device_deliveries drops what a box already holds (replays, redeliveries);
 *  3. the face pictures are read from S3 before any request (an S3 outage fails the batch
 *     before anything is pushed, and the runner retries it);
 *  4. deliveries run concurrently per (box, identity), in order within one, a parked one not
 *     before its time; each box has its own concurrency limit and is skipped while down;
 *  5. transient failures are parked on the retry topic, published before the commit; refusals
 *     and deliveries given up are dead-lettered (per box, with the reason) by the runner;
 *  6. one insert of every attempt's row; then the runner commits the offsets.
 *
 * A crash between 4 and 6 pushes again after the restart: the box's ignore_exist makes that an
 * update of the same person, never a second one.
 */
export function createDeliverySink(options: DeliverySinkOptions): MessageSink {
  const { policy, deliveries, metrics, now = Date.now } = options;
  return {
    async handleBatch(messages, context) {
      const rejected: { message: ConsumedMessage; error: unknown }[] = [];
      const planned: Delivery[] = [];
      for (const message of messages) {
        let command: FaceRegistrationCommand;
        try {
          command = decodeFaceRegistration(message.value);
        } catch (error) {
          // A message that breaks the contract: no retry changes it.
          if (!(error instanceof ContractError)) throw error;
          rejected.push({ message, error: new PermanentError(error.message, { cause: error }) });
          continue;
        }
        const parked = parkedOf(message);
        for (const box of parked.target ? [parked.target] : targetBoxes(policy, command.source.dev_sno)) {
          planned.push({ message, command, box, attempt: parked.attempt ?? 0, notBefore: parked.notBefore ?? 0, firstAttemptAt: parked.firstAttemptAt ?? 0 });
        }
      }

      const done = await deliveries.delivered(planned.map((d) => d.command.registration_id));
      const pending = planned.filter((d) => {
        const key = deliveryKey(d.command.registration_id, d.box);
        if (done.has(key)) {
          metrics.alreadyDelivered.inc();
          return false;
        }
        done.add(key); // a second copy within the batch
        return true;
      });

      const pictures = await readPictures(pending.filter((d) => !options.gate.downUntil(d.box, now())));
      const run = createRun(options, pictures, context, rejected);
      const chains = new Map<string, Delivery[]>();
      for (const d of pending) {
        const key = `${d.box}\n${d.command.identity_id}`;
        chains.set(key, [...(chains.get(key) ?? []), d]);
      }
      try {
        await Promise.all([...chains.values()].map(async (chain) => {
          for (const delivery of chain) await run.deliver(delivery);
        }));
      } catch (error) {
        // Stopping or rebalancing: what reached a box is recorded (a redelivery then skips it).
        await deliveries.record(run.rows.filter((row) => row.outcome === 'pushed' || row.outcome === 'already_present')).catch(() => {});
        throw error;
      }
      await options.producer.publish(run.parkedRecords);
      await deliveries.record(run.rows);
      for (const row of run.rows) metrics.deliveries.inc({ outcome: row.outcome });
      metrics.parked.inc(run.parkedRecords.length);
      return { rejected };
    },
  };

  async function readPictures(wanted: Delivery[]): Promise<Map<string, Picture>> {
    const keys = [...new Set(wanted.flatMap((d) => (d.command.import_mode || !d.command.reg_photo_key ? [] : [d.command.reg_photo_key])))];
    const pictures = new Map<string, Picture>();
    for (let start = 0; start < keys.length; start += 8) {
      await Promise.all(keys.slice(start, start + 8).map(async (key) => pictures.set(key, await options.pictures.read(key))));
    }
    return pictures;
  }
}

function createRun(options: DeliverySinkOptions, pictures: Map<string, Picture>, context: SinkContext, rejected: { message: ConsumedMessage; error: unknown }[]) {
  const { gate, metrics, now = Date.now } = options;
  const rows: DeliveryRow[] = [];
  const parkedRecords: ProducerRecord[] = [];
  const log = context.logger;

  const row = (d: Delivery, outcome: DeliveryOutcome, details: { address?: string; httpStatus?: number; error?: string }): void => {
    const at = now();
    rows.push({
      registration_id: d.command.registration_id,
      dev_sno: d.box,
      command: d.command.command === 'create-person' ? 'create_person' : 'update_person_face',
      identity_id: d.command.identity_id,
      outcome,
      attempt: d.attempt + 1,
      box_address: details.address ?? '',
      http_status: details.httpStatus ?? 0,
      error: details.error ?? '',
      source_dev_sno: d.command.source.dev_sno,
      event_id: d.command.source.event_id,
      event_time: epochSeconds(d.command.source.event_time_ms),
      event_time_ms: d.command.source.event_time_ms,
      attempted_at: epochSeconds(at),
      attempted_at_ms: at,
    });
    const fields = { box: d.box, registrationId: d.command.registration_id, identityId: d.command.identity_id, attempt: d.attempt + 1, outcome, error: details.error };
    if (outcome === 'pushed' && details.error) log.warn(fields, 'registration pushed, but the answer was not the box\'s');
    else if (outcome === 'pushed' || outcome === 'already_present') log.info(fields, 'registration delivered to box');
    else log.warn(fields, 'registration not delivered to box');
  };

  const refuse = (d: Delivery, outcome: DeliveryOutcome, reason: string, details: { address?: string; httpStatus?: number } = {}) => {
    row(d, outcome, { ...details, error: reason });
    rejected.push({ message: forBox(d.message, d.box), error: new PermanentError(`box ${d.box}, registration ${d.command.registration_id}: ${reason}`) });
  };

  /** Parks the delivery on the retry topic, or gives up on it once it has been failing for too long. */
  const park = (d: Delivery, outcome: DeliveryOutcome, error: string, details: { address?: string; httpStatus?: number; until?: number } = {}) => {
    const at = now();
    const firstAttemptAt = d.firstAttemptAt || at;
    if (at - firstAttemptAt >= options.giveUpMs) {
      refuse(d, 'gave_up', `gave up after ${d.attempt + 1} attempts over ${Math.round((at - firstAttemptAt) / 1000)} s; last: ${outcome}: ${error}`, details);
      return;
    }
    row(d, outcome, { ...details, error });
    const notBefore = Math.max(details.until ?? 0, at + backoffDelay(d.attempt, options.retry));
    parkedRecords.push(parkedRecord(options.retryTopic, d.message, { target: d.box, attempt: d.attempt + 1, notBefore, firstAttemptAt }, error));
  };

  const deliver = async (d: Delivery): Promise<void> => {
    const wait = d.notBefore - now();
    if (wait > 0) await sleep(wait, context.signal);
    if (context.signal.aborted) throw new Error('stopping: batch left uncommitted');
    const downUntil = gate.downUntil(d.box, now());
    if (downUntil) return park(d, 'unreachable', NOT_ATTEMPTED, { until: downUntil });
    const address = await options.directory.address(d.box);
    if (!address) return park(d, 'no_address', `no address known for box ${d.box}`);
    let picture: Buffer | undefined;
    if (!d.command.import_mode) {
      const key = d.command.reg_photo_key!;
      const found = pictures.get(key) ?? (await options.pictures.read(key));
      pictures.set(key, found);
      if (found === 'missing') return park(d, 'picture_missing', `face picture ${key} is not in the bucket (yet)`);
      if (found === 'too-large') return refuse(d, 'refused', `face picture ${key} is larger than DEVICE_SYNC_MAX_PICTURE_BYTES`);
      picture = found;
    }
    const started = process.hrtime.bigint();
    // The box's state is checked again once this delivery has a slot, and updated before the slot
    // goes to the next one: the deliveries queued behind a box's failure send nothing.
    const attempt = await gate.run(d.box, async () => {
      if (gate.downUntil(d.box, now())) return undefined;
      const answer = await pushToBox(address, createPersonRequest(d.command, picture, options.box.fiqaLevel), options.box);
      if (answer.outcome !== 'unreachable') gate.succeeded(d.box); // it answered, a refusal too: up
      return { answer, downUntil: answer.outcome === 'unreachable' ? gate.failed(d.box, now()) : 0 };
    });
    if (!attempt) return park(d, 'unreachable', NOT_ATTEMPTED, { until: gate.downUntil(d.box, now()) });
    const { answer, downUntil: until } = attempt;
    metrics.boxRequestSeconds.observe({ outcome: answer.outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    const details = { address, httpStatus: answer.httpStatus };
    switch (answer.outcome) {
      case 'pushed':
      case 'already_present':
        if (answer.outcome === 'pushed' && answer.error) metrics.unconfirmedPushes.inc();
        return row(d, answer.outcome, { ...details, error: answer.error });
      case 'refused':
        return refuse(d, 'refused', answer.error, details);
      case 'unreachable':
        return park(d, 'unreachable', answer.error, { ...details, until });
    }
  };

  return { rows, parkedRecords, deliver };
}

const NOT_ATTEMPTED = 'not attempted: the box failed an earlier attempt and is backing off';

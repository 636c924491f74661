import { ContractError, decodeHistoryEventMessage } from '@sophon/event-contract';
import { PermanentError, type ConsumedMessage, type DurableProducer, type MessageSink } from '@sophon/kafka';
import { decideRegistration, registrationRow, type RegistrationDecision, type RegistrationPolicy } from './decide.js';
import { faceRegistrationRecord } from './face-registration.js';
import type { RegistrationMetrics } from './metrics.js';
import type { RegistrationsTable } from './registrations-table.js';

export interface RegistrationSinkOptions {
  registrations: RegistrationsTable;
  producer: Pick<DurableProducer, 'publish'>;
  /** The face-registrations topic. */
  topic: string;
  metrics: RegistrationMetrics;
  policy: RegistrationPolicy;
  now?: () => number;
}

/**
 * Decides each registration request of a batch once, whatever the replays and re-uploads:
 *
 *  1. one lookup of the batch's event ids in `registrations`: what is recorded there was decided
 *     (and its command published) before, so it is skipped, as is a repeat within the batch;
 *  2. one publish of the new commands, acknowledged by all in-sync replicas;
 *  3. one insert of the new audit rows;
 *  4. the runner commits the offsets.
 *
 * Any failure throws before the commit and the runner retries the whole batch. A failure after
 * 2 and before 3 publishes the same commands again (same registration_id, which consumers
 * dedupe by); the reverse order could record a decision whose command was never sent.
 * One event always arrives on one partition (history-events is keyed by dev_sno), handled by
 * one batch at a time, so concurrent batches never decide the same event.
 */
export function createRegistrationSink({ registrations, producer, topic, metrics, policy, now = Date.now }: RegistrationSinkOptions): MessageSink {
  return {
    async handleBatch(messages, { logger }) {
      const rejected: { message: ConsumedMessage; error: unknown }[] = [];
      const requests: RegistrationDecision[] = [];
      for (const message of messages) {
        try {
          const decision = decideRegistration(decodeHistoryEventMessage(message.value), policy);
          if (decision) requests.push(decision);
        } catch (error) {
          if (!(error instanceof ContractError)) throw error;
          rejected.push({ message, error: new PermanentError(error.message, { cause: error }) });
        }
      }

      const seen = await registrations.decided(requests.map((request) => request.audit.event_id));
      const fresh: RegistrationDecision[] = [];
      const repeats: RegistrationDecision[] = [];
      for (const request of requests) {
        if (seen.has(request.registrationId)) {
          repeats.push(request);
        } else {
          seen.add(request.registrationId);
          fresh.push(request);
        }
      }

      await producer.publish(fresh.flatMap(({ command }) => (command ? [faceRegistrationRecord(topic, command)] : [])));
      const decidedAtMs = now();
      await registrations.record(fresh.map((decision) => registrationRow(decision, decidedAtMs)));

      for (const { audit } of fresh) {
        metrics.decisions.inc({ action: audit.action, outcome: audit.outcome });
        logger.info({ eventId: audit.event_id, action: audit.action, identityId: audit.identity_id, outcome: audit.outcome, reason: audit.reason }, 'registration decided');
      }
      for (const { audit } of repeats) {
        metrics.alreadyDecided.inc({ action: audit.action });
        logger.debug({ eventId: audit.event_id, action: audit.action }, 'registration already decided; skipped');
      }
      return { rejected };
    },
  };
}

import type { ConsumedMessage, ProducerRecord } from '@sophon/kafka';

/** Headers of a delivery parked on the retry topic (and of a per-box dead letter). */
export const RETRY_HEADERS = {
  /** The one box this message is for (also honoured on face-registrations, e.g. a replayed dead letter). */
  target: 'device-sync-target',
  /** Attempts made so far. */
  attempt: 'device-sync-attempt',
  /** Not to be tried before this instant (epoch ms). */
  notBefore: 'device-sync-not-before',
  /** When the first attempt was made (epoch ms): the give-up clock. */
  firstAttemptAt: 'device-sync-first-attempt-at',
  lastError: 'device-sync-last-error',
} as const;

export interface Parked {
  target: string;
  attempt: number;
  notBefore: number;
  firstAttemptAt: number;
}

/** The parking headers of a message, or undefined for a fresh command. */
export function parkedOf(message: ConsumedMessage): Partial<Parked> {
  const number = (name: string) => {
    const value = Number(message.headers[name]);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return {
    target: message.headers[RETRY_HEADERS.target] || undefined,
    attempt: number(RETRY_HEADERS.attempt),
    notBefore: number(RETRY_HEADERS.notBefore),
    firstAttemptAt: number(RETRY_HEADERS.firstAttemptAt),
  };
}

/** The same command, for one box, parked until `parked.notBefore`; keyed by box so a box's backlog stays on one partition. */
export function parkedRecord(topic: string, message: ConsumedMessage, parked: Parked, lastError: string): ProducerRecord {
  return {
    topic,
    key: parked.target,
    value: message.value,
    headers: {
      ...message.headers,
      [RETRY_HEADERS.target]: parked.target,
      [RETRY_HEADERS.attempt]: String(parked.attempt),
      [RETRY_HEADERS.notBefore]: String(parked.notBefore),
      [RETRY_HEADERS.firstAttemptAt]: String(parked.firstAttemptAt),
      [RETRY_HEADERS.lastError]: lastError.slice(0, 500),
    },
  };
}

/**
 * The message as dead-lettered for one box: pinned to it, so a replay goes to that box only, and
 * without its parking state, so a replayed delivery starts a fresh give-up clock.
 */
export function forBox(message: ConsumedMessage, box: string): ConsumedMessage {
  const headers: Record<string, string> = { ...message.headers, [RETRY_HEADERS.target]: box };
  for (const name of [RETRY_HEADERS.attempt, RETRY_HEADERS.notBefore, RETRY_HEADERS.firstAttemptAt]) delete headers[name];
  return { ...message, headers };
}

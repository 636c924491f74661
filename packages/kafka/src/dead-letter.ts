import type { ConsumedMessage } from './consumed-message.js';
import { describeError } from './errors.js';
import type { ProducerRecord } from './producer.js';

/** Headers a dead letter carries besides the original message's own. */
export const DEAD_LETTER_HEADERS = {
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  consumerGroup: 'dlq-consumer-group',
  error: 'dlq-error',
  failedAt: 'dlq-failed-at',
} as const;

/** The original key, value and headers, plus where it came from and why it failed. */
export function deadLetterRecord(topic: string, message: ConsumedMessage, error: unknown, consumerGroup: string, now = Date.now()): ProducerRecord {
  return {
    topic,
    key: message.key ?? '',
    value: message.value,
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.sourceTopic]: message.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(message.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: consumerGroup,
      [DEAD_LETTER_HEADERS.error]: describeError(error),
      [DEAD_LETTER_HEADERS.failedAt]: new Date(now).toISOString(),
    },
  };
}

/** The message to send back to its source topic: original key, value and headers, DLQ headers removed. */
export function replayRecord(deadLetter: ConsumedMessage): ProducerRecord {
  const source = deadLetter.headers[DEAD_LETTER_HEADERS.sourceTopic];
  if (!source) throw new Error(`dead letter at offset ${deadLetter.offset} has no ${DEAD_LETTER_HEADERS.sourceTopic} header`);
  const dlqNames = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const headers = Object.fromEntries(Object.entries(deadLetter.headers).filter(([name]) => !dlqNames.has(name)));
  return { topic: source, key: deadLetter.key ?? '', value: deadLetter.value, headers };
}

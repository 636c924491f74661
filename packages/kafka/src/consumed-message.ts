import type { IHeaders, KafkaMessage } from 'kafkajs';

/** A message as sinks see it: headers as strings, kafkajs' types kept out. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Broker timestamp, ms since the epoch. */
  timestamp: number;
  /**
   * Its record batch: the idempotent producer that wrote it, the record's sequence number and the
   * batch's first offset (records of one batch share it). For tests and diagnostics.
   */
  batch?: { producerId: string; sequence: number; firstOffset: string };
}

/** kafkajs decodes the record batch header into every message but does not declare it. */
interface BatchContext {
  producerId?: string;
  firstSequence?: number;
  firstOffset?: string;
}

export function toConsumedMessage(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  const consumed: ConsumedMessage = {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value ?? Buffer.alloc(0),
    headers: headersToStrings(message.headers),
    timestamp: Number(message.timestamp),
  };
  const batch = (message as { batchContext?: BatchContext }).batchContext;
  if (batch?.producerId !== undefined && batch.producerId !== '-1' && batch.firstSequence !== undefined && batch.firstOffset !== undefined) {
    const sequence = batch.firstSequence + Number(BigInt(message.offset) - BigInt(batch.firstOffset));
    consumed.batch = { producerId: batch.producerId, sequence, firstOffset: batch.firstOffset };
  }
  return consumed;
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

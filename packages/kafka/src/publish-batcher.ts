import type { ProducerRecord } from './producer.js';

/** A send failed before any of its records could reach a broker (e.g. it could not connect). */
export class NothingSentError extends Error {
  constructor(cause: unknown) {
    super(`not sent: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.name = 'NothingSentError';
  }
}

/** What bounds one send: the bytes of all its records, and per topic the broker's max.message.bytes. */
export interface SendLimits {
  maxBatchBytes: number;
  /** The largest record batch a topic accepts (its max.message.bytes). */
  topicLimit(topic: string): number;
}

/** Bytes a record adds to a Kafka record batch: its parts plus a generous bound on the varints around them. */
export function recordBytes(record: ProducerRecord): number {
  let bytes = record.value.length + Buffer.byteLength(record.key) + RECORD_OVERHEAD_BYTES;
  for (const name in record.headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]!) + 10;
  return bytes;
}

/** Attributes, timestamp/offset deltas and length varints of one record. */
const RECORD_OVERHEAD_BYTES = 32;
/** The record batch header (61 bytes) with room to spare. */
export const BATCH_OVERHEAD_BYTES = 128;

interface Publication {
  records: ProducerRecord[];
  sizes: number[];
  /** Records already handed to a send. */
  taken: number;
  /** Sends carrying its records that have not settled yet. */
  sendsInFlight: number;
  /** A send carrying its records has started. */
  started: boolean;
  /** A send carrying its records reached the broker: some of them may be in Kafka, whatever its outcome. */
  maybeStored: boolean;
  withdrawn: boolean;
  settled: boolean;
  acknowledgedAll: boolean;
  failure: unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
  onSettled: (() => void) | undefined;
}

export interface PublicationHandle {
  acknowledged: Promise<void>;
  /** True once a send carrying any of its records has started. */
  readonly started: boolean;
  /** True once every record of it was acknowledged. */
  readonly acknowledgedAll: boolean;
  /** True once a send carrying its records reached the broker (final once withdraw() resolved). */
  readonly maybeStored: boolean;
  /**
   * Takes back what has not been sent yet. Resolves once no send carrying its records is under
   * way any more, so a caller that gives up still knows when Kafka is done with its bytes.
   */
  withdraw(): Promise<void>;
}

/**
 * Coalesces concurrent publishes into sends, one send at a time (the idempotent producer allows
 * one request in flight). Whatever arrives while a send is under way goes out together in the
 * next one; at low load nothing waits longer than the current turn of the event loop.
 *
 * A send never holds more than a topic accepts (its max.message.bytes bounds every record batch,
 * so the bytes of each topic in one send are kept under it) nor more than maxBatchBytes: a large
 * publish is split over several sends, in order (its pictures before its event). A publish is
 * acknowledged once every send carrying its records was; the first failed send rejects it and
 * its records not yet sent are dropped.
 */
export class PublishBatcher {
  private queue: Publication[] = [];
  private running: Promise<void> | undefined;

  /**
   * `prepare` (connecting) runs before records are taken for a send: while it waits, publishes
   * can still be withdrawn untouched, and when it fails every queued publish fails as not sent.
   */
  constructor(
    private readonly send: (records: ProducerRecord[]) => Promise<void>,
    private readonly limits: SendLimits,
    private readonly prepare: () => Promise<void> = async () => undefined,
  ) {}

  add(records: ProducerRecord[]): PublicationHandle {
    let publication!: Publication;
    const acknowledged = new Promise<void>((resolve, reject) => {
      publication = {
        records,
        sizes: records.map(recordBytes),
        taken: 0,
        sendsInFlight: 0,
        started: false,
        maybeStored: false,
        withdrawn: false,
        settled: false,
        acknowledgedAll: false,
        failure: undefined,
        resolve,
        reject,
        onSettled: undefined,
      };
    });
    this.queue.push(publication);
    // The first send waits for the end of this turn of the event loop, so requests read in the same turn share it.
    this.running ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.sendAll());
    return {
      acknowledged,
      get started() {
        return publication.started;
      },
      get acknowledgedAll() {
        return publication.acknowledgedAll;
      },
      get maybeStored() {
        return publication.maybeStored;
      },
      withdraw: () => {
        publication.withdrawn = true;
        this.queue = this.queue.filter((entry) => entry !== publication);
        if (publication.sendsInFlight === 0) return Promise.resolve();
        return new Promise<void>((resolve) => (publication.onSettled = resolve));
      },
    };
  }

  /** Resolves once every publish added so far has settled. */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private async sendAll(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        try {
          await this.prepare();
        } catch (error) {
          this.failQueued(new NothingSentError(error));
          continue;
        }
        if (this.queue.length === 0) break;
        const { records, carried } = this.takeSend();
        for (const publication of carried) {
          publication.started = true;
          publication.sendsInFlight++;
        }
        let error: unknown;
        try {
          await this.send(records);
        } catch (failure) {
          error = failure ?? new Error('send failed');
        }
        for (const publication of carried) this.settleSend(publication, error);
      }
    } finally {
      this.running = undefined;
    }
  }

  private failQueued(error: NothingSentError): void {
    for (const publication of this.queue.splice(0)) {
      publication.sendsInFlight++;
      this.settleSend(publication, error);
    }
  }

  private settleSend(publication: Publication, error: unknown): void {
    publication.sendsInFlight--;
    if (!(error instanceof NothingSentError)) publication.maybeStored = true;
    if (error !== undefined && publication.failure === undefined) {
      publication.failure = error;
      this.queue = this.queue.filter((entry) => entry !== publication);
    }
    if (publication.sendsInFlight > 0) return;
    const complete = publication.taken === publication.records.length;
    if (!publication.settled && (complete || publication.failure !== undefined || publication.withdrawn)) {
      publication.settled = true;
      if (publication.failure !== undefined) publication.reject(publication.failure);
      else if (complete) {
        publication.acknowledgedAll = true;
        publication.resolve();
      } else publication.reject(new Error('withdrawn before all of it was sent'));
    }
    publication.onSettled?.();
  }

  /** The next send: records in queue order while every topic's bytes and the total stay within bounds. */
  private takeSend(): { records: ProducerRecord[]; carried: Publication[] } {
    const records: ProducerRecord[] = [];
    const carried: Publication[] = [];
    const topicBytes = new Map<string, number>();
    let total = 0;
    while (this.queue.length > 0) {
      const publication = this.queue[0]!;
      const before = publication.taken;
      while (publication.taken < publication.records.length) {
        const record = publication.records[publication.taken]!;
        const size = publication.sizes[publication.taken]!;
        const inTopic = topicBytes.get(record.topic) ?? BATCH_OVERHEAD_BYTES;
        const fits = inTopic + size <= this.limits.topicLimit(record.topic) && total + size <= this.limits.maxBatchBytes;
        // An empty send takes one record whatever its size: the producer refuses oversized records before they get here.
        if (!fits && records.length > 0) break;
        records.push(record);
        topicBytes.set(record.topic, inTopic + size);
        total += size;
        publication.taken++;
      }
      if (publication.taken > before) carried.push(publication);
      if (publication.taken < publication.records.length) break;
      this.queue.shift();
    }
    return { records, carried };
  }
}

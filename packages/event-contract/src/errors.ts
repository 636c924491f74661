/** One problem with an uploaded event, located by an RFC 6901 JSON pointer into the event as sent ("" = the whole event). */
export interface FieldError {
  pointer: string;
  message: string;
}

/** Thrown by the decoders when a Kafka message does not follow the contract. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  /** The individual problems, when the message was well-formed JSON but broke the schema. */
  readonly errors: readonly FieldError[];

  constructor(message: string, options: { errors?: readonly FieldError[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors ?? [];
  }
}

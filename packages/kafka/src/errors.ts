/**
 * A message that can never succeed, however often it is retried (undecodable, violates the
 * contract, checksum mismatch). The consumer runner dead-letters it and commits past it.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Everything that is not known to be permanent is retried: an unclassified failure of a sink
 * is far more often an outage (refused connection, timeout, 5xx) than a bad message, and
 * retrying loses nothing, while dead-lettering a whole batch during an outage would.
 */
export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError || (error instanceof Error && error.name === 'PermanentError');
}

/** A short, log- and header-safe description of an error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 1000);
  return String(error).slice(0, 1000);
}

/** An answer other than 200, in the box's own error style. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** `{"error": {"code", "message", "status", ...}}`, as the box's own APIs answer failures. */
export function errorBody(error: HttpError) {
  return { error: { code: error.status, status: error.code, message: error.message, ...error.details } };
}

import type { FaceRegistrationCommand } from '@sophon/event-contract';

export const CREATE_PERSON_PATH = '/SophonFogSys/api/users';

/** The create-person request body (vendor docs V5R3C01-create-person.md). */
export interface CreatePersonRequest {
  identity_id: string;
  import_mode: boolean;
  need_bring_pic: boolean;
  reg_photo?: string;
  feature?: number[];
  group_name: string;
  ignore_exist: true;
  support_single_face: boolean;
  fiqa_level?: string;
  info: { name: string; type: number; registration_id: string };
}

/**
 * What a box made of a request:
 * - pushed: a 2xx, `{"data": ...}` (any other 2xx body is quoted in `error`); already_present: it answered "already exist" (only possible if a box
 *   ignores ignore_exist; counted as delivered);
 * - refused: a 4xx (but 408/429) with the box's `{"error": {code, message, status}}`: the same
 *   request would be refused again, so it is dead-lettered with that error;
 * - unreachable: no answer in time, a refused connection, a 5xx, 408, 429: retried later.
 */
export type BoxAnswer =
  | { outcome: 'pushed' | 'already_present'; httpStatus: number; error: string }
  | { outcome: 'refused' | 'unreachable'; httpStatus: number; error: string };

export interface BoxClientSettings {
  timeoutMs: number;
  /** HTTP basic credentials, when the site sets them. */
  username: string;
  password: string;
  fiqaLevel: string;
}

export function createPersonRequest(command: FaceRegistrationCommand, picture: Buffer | undefined, fiqaLevel: string): CreatePersonRequest {
  return {
    identity_id: command.identity_id,
    import_mode: command.import_mode,
    need_bring_pic: !command.import_mode,
    ...(command.import_mode ? { feature: command.feature } : { reg_photo: picture?.toString('base64') ?? '' }),
    group_name: command.group_name,
    ignore_exist: true,
    support_single_face: command.support_single_face,
    ...(fiqaLevel ? { fiqa_level: fiqaLevel } : {}),
    // A custom info field (the API keeps them): which registration put this face there.
    info: { name: command.info.name, type: command.info.type, registration_id: command.registration_id },
  };
}

/** POSTs one create-person request; never throws (every failure is an answer to classify). */
export async function pushToBox(address: string, request: CreatePersonRequest, settings: BoxClientSettings): Promise<BoxAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (settings.username || settings.password) {
    headers['authorization'] = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${address}${CREATE_PERSON_PATH}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return { outcome: 'unreachable', httpStatus: 0, error: networkError(error, settings.timeoutMs) };
  }
  const boxError = errorOf(text);
  const status = response.status;
  if (boxError && /already exist/i.test(boxError)) return { outcome: 'already_present', httpStatus: status, error: boxError };
  if (status >= 200 && status < 300) {
    if (boxError) return { outcome: 'refused', httpStatus: status, error: boxError };
    // Only the box's own success answer says the person is there. A 2xx of anything else (a proxy,
    // a captive portal, another service on the port, firmware that answers differently) still
    // counts as pushed, since re-sending it would not tell more, but its row says what came back.
    if (!hasData(text)) return { outcome: 'pushed', httpStatus: status, error: `answered HTTP ${status} without the box's {"data": ...}: ${text.slice(0, 200)}` };
    return { outcome: 'pushed', httpStatus: status, error: '' };
  }
  const error = boxError ?? `HTTP ${status}: ${text.slice(0, 200)}`;
  const transient = status >= 500 || status === 408 || status === 429;
  return { outcome: transient ? 'unreachable' : 'refused', httpStatus: status, error };
}

/** The box's success answer: a JSON object with a `data` object (V5R3C01-create-person.md, 请求成功). */
function hasData(text: string): boolean {
  try {
    const body = JSON.parse(text) as { data?: unknown } | null;
    return typeof body === 'object' && body !== null && typeof body.data === 'object' && body.data !== null;
  } catch {
    return false;
  }
}

/** The box's `{"error": {code, message, status}}` as one line, or undefined when the body is no such error. */
function errorOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; status?: unknown } };
    if (!body || typeof body !== 'object' || !body.error || typeof body.error !== 'object') return undefined;
    const { code, message, status } = body.error;
    return `${String(status ?? 'error')} ${String(code ?? '')}: ${String(message ?? '')}`.slice(0, 500);
  } catch {
    return undefined;
  }
}

function networkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code}: ${cause.message ?? ''}` : error instanceof Error ? error.message : String(error);
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A person as the stand-in box holds it. */
export interface BoxPerson {
  identity_id: string;
  group_names: Set<string>;
  info: Record<string, unknown>;
  /** Face pictures (decoded reg_photo bytes) or feature vectors, in the order registered. */
  faces: (Buffer | number[])[];
  /** How many requests created (1) or updated it. */
  writes: number;
}

export interface BoxApiOptions {
  /** Basic credentials the box demands (401 without them). */
  credentials?: { username: string; password: string };
  /** Where it listens: 127.0.0.1 and a free port by default. */
  host?: string;
  port?: number;
}

/**
 * A simulated box's create-person API (vendor docs V5R3C01-create-person.md), what device-sync
 * pushes registrations to: `pnpm simulate --box-api` gives every simulated box one, and tests use
 * it as a strict stand-in box. POST /SophonFogSys/api/users with the documented fields, answering
 * `{"data": {...}}` or `{"error": {code, message, status}}`. It keeps persons in memory. Modes: `slow(ms)` delays every
 * answer, `failWith(status)` answers errors, `impersonate(text)` answers 200 with something else, `refuse(identity)` refuses one identity with a
 * 400, `goOffline()` stops listening (connections refused), `comeBack()` listens again on the
 * same port.
 */
export interface BoxApi {
  readonly port: number;
  readonly host: string;
  /** host:port, as DEVICE_SYNC_BOX_ADDRESSES takes it. */
  readonly hostPort: string;
  readonly persons: Map<string, BoxPerson>;
  /** Every create-person request received, parsed (including those answered with an error). */
  readonly requests: Record<string, unknown>[];
  slow(ms: number): void;
  failWith(status: number | undefined): void;
  /** Answers every request 200 with this text instead of the API's answer (a captive portal, say); undefined ends it. */
  impersonate(text: string | undefined): void;
  refuse(identityId: string): void;
  goOffline(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

const PATH = '/SophonFogSys/api/users';

export async function startBoxApi(options: BoxApiOptions = {}): Promise<BoxApi> {
  const persons = new Map<string, BoxPerson>();
  const requests: Record<string, unknown>[] = [];
  const refused = new Set<string>();
  let delayMs = 0;
  let failStatus: number | undefined;
  let impostorText: string | undefined;
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (req.method !== 'POST' || req.url !== PATH) return answerError(res, 404, 404, 'not found', 'NOT_FOUND');
    if (options.credentials) {
      const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return answerError(res, 401, 401, 'authentication required', 'UNAUTHENTICATED');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return answerError(res, 400, 1001, 'request body is not JSON', 'INVALID_ARGUMENT');
    }
    requests.push(body);
    if (impostorText !== undefined) return void res.writeHead(200, { 'content-type': 'text/html' }).end(impostorText);
    if (failStatus) return answerError(res, failStatus, failStatus, 'internal error', 'INTERNAL');
    const problem = validate(body);
    if (problem) return answerError(res, 400, 1001, problem, 'INVALID_ARGUMENT');
    const identityId = body['identity_id'] as string;
    if (refused.has(identityId)) return answerError(res, 400, 1006, 'face quality too low to register', 'FAILED_PRECONDITION');

    const face = body['import_mode'] === true ? (body['feature'] as number[]) : Buffer.from(body['reg_photo'] as string, 'base64');
    const groups = String(body['group_name']).split(',');
    const existing = persons.get(identityId);
    if (existing) {
      if (body['ignore_exist'] !== true) return answerError(res, 400, 1002, `identity_id ${identityId} already exist`, 'ALREADY_EXISTS');
      for (const group of groups) existing.group_names.add(group);
      existing.info = body['info'] as Record<string, unknown>;
      existing.faces = body['support_single_face'] === true ? [face] : [...existing.faces, face];
      existing.writes++;
    } else {
      persons.set(identityId, { identity_id: identityId, group_names: new Set(groups), info: body['info'] as Record<string, unknown>, faces: [face], writes: 1 });
    }
    const info = { ...(body['info'] as Record<string, unknown>), user_id: identityId };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { identity_id: identityId, group_name: body['group_name'], info, reg_photo: body['reg_photo'] ?? '' } }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answerError(res, 500, 500, String(error), 'INTERNAL'));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    host,
    hostPort: `${host}:${port}`,
    persons,
    requests,
    slow: (ms) => void (delayMs = ms),
    failWith: (status) => void (failStatus = status),
    impersonate: (text) => void (impostorText = text),
    refuse: (identityId) => void refused.add(identityId),
    goOffline: stop,
    comeBack: () => listen(port),
    close: stop,
  };
}

/** The documented required fields; the message names the field and why. */
function validate(body: Record<string, unknown>): string | undefined {
  if (typeof body['identity_id'] !== 'string' || body['identity_id'] === '') return 'identity_id is required (string)';
  if (typeof body['group_name'] !== 'string' || body['group_name'] === '') return 'group_name is required (string)';
  const info = body['info'] as Record<string, unknown> | undefined;
  if (!info || typeof info !== 'object' || typeof info['name'] !== 'string') return 'info.name is required (string)';
  if (info['type'] !== undefined && ![1, 2, 3, 4, 5].includes(info['type'] as number)) return 'info.type must be 1 to 5';
  if (body['import_mode'] === true) {
    if (!Array.isArray(body['feature']) || body['feature'].length === 0) return 'feature is required when import_mode is true';
  } else if (body['need_bring_pic'] !== false) {
    const photo = body['reg_photo'];
    if (typeof photo !== 'string' || photo === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(photo)) return 'reg_photo is required (base64)';
  }
  if (body['fiqa_level'] !== undefined && !['high', 'middle', 'low', 'custom', 'no'].includes(body['fiqa_level'] as string)) return 'fiqa_level must be high, middle, low, custom or no';
  return undefined;
}

function answerError(res: ServerResponse, httpStatus: number, code: number, message: string, status: string): void {
  res.writeHead(httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message, status } }));
}

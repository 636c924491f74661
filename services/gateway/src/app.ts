import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { ErrorRequestHandler, Request } from 'express';
import express from 'express';
import type { ParsedUpload } from '@sophon/event-contract';
import type { Logger } from '@sophon/logger';
import { opsRoutes, type ReadinessCheck, type Registry } from '@sophon/ops-http';
import { refuseEncodedBody } from './http/content-encoding.js';
import type { DeviceAuthenticator } from './http/device-auth.js';
import { errorBody, HttpError } from './http/http-error.js';
import { inflightGate } from './http/inflight-gate.js';
import { rawBodyReader, readUpload, UnreadableUpload, type UploadLimits } from './http/read-upload.js';
import { requestRateLimit } from './http/request-rate-limit.js';
import type { UploadContext, UploadHandler } from './ingest/handle-upload.js';
import { isStrictRequest } from './ingest/upload-answer.js';
import type { GatewayMetrics } from './metrics.js';

/** Upload routes (upload-routes.ts): paths a box may be configured with, and the handler of what it posts there. */
export interface UploadRoute {
  paths: readonly string[];
  handle: UploadHandler;
}

export interface GatewayAppDeps {
  routes: UploadRoute[];
  limits: UploadLimits & { maxInflightBytes: number; maxInflightBytesPerClient: number; retryAfterSeconds: number; requestsPerWindow: number; windowSeconds: number };
  authenticate: DeviceAuthenticator;
  readiness: ReadinessCheck[];
  isAccepting: () => boolean;
  registry: Registry;
  metrics: GatewayMetrics;
  logger: Logger;
}

/**
 * The gateway's request listener. An upload (a POST to one of the routes' exact paths) is
 * handled here, on Node's own request and response; everything else (health, readiness,
 * metrics, 404s) goes to an express app. Uploads are nearly every request, and express's
 * per-request work (its request and response prototypes, the router's layers, an Error with a
 * stack for every refusal) was ~12 % of a small upload's CPU, and ~40 % of what the gateway
 * allocated while Kafka stalled and boxes were being refused (sampling heap profile).
 */
export function createGatewayApp(deps: GatewayAppDeps): RequestListener {
  const uploads = routesByPath(deps.routes);
  const admit = inflightGate({ ...deps.limits, inflightBytes: deps.metrics.inflightBytes, inflightRequests: deps.metrics.inflightRequests });
  const readBody = rawBodyReader(deps.limits);
  const rateLimit = requestRateLimit({ requests: deps.limits.requestsPerWindow, windowSeconds: deps.limits.windowSeconds });
  const ops = opsApp(deps);

  /**
   * The body as JSON. Its raw bytes live in this function only: had they been a local of the
   * handler below, they would have stayed alive while the publish waits for Kafka (an async
   * function keeps its locals across an await), a second copy of every stalled upload.
   */
  const readBodyAsJson = async (route: UploadRoute, req: IncomingMessage, res: ServerResponse): Promise<ParsedUpload> => {
    const raw = await readBody(req, res);
    if (raw) deps.metrics.requestBytes.inc(raw.length);
    return readUpload(req, raw, deps.limits, route.handle.parseJson);
  };

  /** One upload, start to answer. */
  const handleUploadRequest = async (route: UploadRoute, path: string, search: string, req: IncomingMessage, res: ServerResponse) => {
    // The cheap refusals, cheapest first, all before a byte of the body is read; the in-flight
    // gate last, so a client refused here never holds budget that boxes need.
    if (!deps.isAccepting()) throw new HttpError(503, 'UNAVAILABLE', 'the gateway is shutting down; retry later', {}, { 'Retry-After': String(deps.limits.retryAfterSeconds) });
    refuseEncodedBody(req);
    const query = parseQuery(search);
    const ip = req.socket.remoteAddress;
    const principal = deps.authenticate({ headers: req.headers, query, ip });
    await rateLimit(principal, ip);
    const release = admit(req, principal.devSno ?? `${principal.label}@${ip ?? 'unknown'}`);
    // Received once the body has been read.
    const receivedNow = () => ({ principal, receivedAt: Date.now(), path, remoteAddress: ip, strict: isStrictRequest(query) });
    // Released once the upload is done with its bytes (its publish settled), not when the client
    // goes: a client that hangs up leaves its records waiting for Kafka all the same.
    try {
      await handleAdmittedUpload(route, req, res, receivedNow);
    } finally {
      release();
    }
  };

  const handleAdmittedUpload = async (route: UploadRoute, req: IncomingMessage, res: ServerResponse, receivedNow: () => Omit<UploadContext, 'featureJson'>) => {

    let body: unknown;
    let featureJson: string | undefined;
    try {
      ({ value: body, featureJson } = await readBodyAsJson(route, req, res));
    } catch (error) {
      if (!(error instanceof UnreadableUpload)) throw error;
      const answer = await route.handle.quarantineUnreadable(error, receivedNow());
      sendJson(res, answer.status, answer.body);
      return;
    }
    const context = { ...receivedNow(), featureJson };
    // Nor the parsed body past this point (measured: the base64 text of every stalled request
    // stayed alive, 4/3 of its pictures, uncounted by the gate).
    const answering = route.handle.upload(body, context);
    body = undefined;
    const answer = await answering;
    sendJson(res, answer.status, answer.body);
  };

  return (req, res) => {
    const target = req.method === 'POST' ? requestTarget(req.url ?? '') : undefined;
    const route = target && uploads.get(target.path);
    if (!target || !route) return void ops(req, res);
    // The route label is the path that matched (a finite set), never the URL as sent.
    res.once('finish', () => deps.metrics.requests.inc({ route: target.path, status: String(res.statusCode) }));
    handleUploadRequest(route, target.path, target.search, req, res).catch((error: unknown) => answerFailure(error, req, res, target.path, deps.logger));
  };
}

/** Health, readiness, metrics, and the 404 for any other request. */
function opsApp(deps: GatewayAppDeps): express.Express {
  const app = express();
  // Only the exact paths are routes: case variants and trailing slashes are 404s, not new spellings.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    res.once('finish', () => deps.metrics.requests.inc({ route: routeLabel(req), status: String(res.statusCode) }));
    next();
  });
  app.use(opsRoutes({ registry: deps.registry, checks: deps.readiness, isAccepting: deps.isAccepting }));
  app.use((req, _res, next) => {
    next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => answerFailure(error, req, res, req.path, deps.logger);
  app.use(onError);
  return app;
}

/** Each path once: a path claimed twice would quietly go to the first kind that claimed it. */
function routesByPath(routes: readonly UploadRoute[]): Map<string, UploadRoute> {
  const byPath = new Map<string, UploadRoute>();
  for (const route of routes) {
    for (const path of route.paths) {
      if (byPath.has(path)) throw new Error(`upload path ${path} is claimed by two upload routes`);
      byPath.set(path, route);
    }
  }
  return byPath;
}

/**
 * The path (matched exactly: case and a trailing slash count) and query of a request target,
 * in origin form as boxes send it or in absolute form, as express would read them.
 */
function requestTarget(url: string): { path: string; search: string } | undefined {
  let target = url;
  if (!target.startsWith('/')) {
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      return undefined;
    }
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const query = target.indexOf('?');
  return query < 0 ? { path: target, search: '' } : { path: target.slice(0, query), search: target.slice(query + 1) };
}

/**
 * What res.json() sends, without express's send() machinery (freshness, ETag, HEAD, encoding
 * checks) that a POST answer never needs.
 */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * The route's pattern (a finite set), never the URL as sent: routers other than the app's may
 * match case-insensitively, and every spelling of a path would be a series of its own.
 */
function routeLabel(req: Request): string {
  const pattern: unknown = req.route?.path;
  return typeof pattern === 'string' ? req.baseUrl + pattern : 'unmatched';
}

/** Every failure answers in the box's error style; body-parser's errors keep their status. */
function answerFailure(error: unknown, req: IncomingMessage, res: ServerResponse, path: string, logger: Logger): void {
  const answer = toHttpError(error);
  if (answer.status >= 500 && answer.status !== 503) logger.error({ err: error, path }, 'request failed');
  if (res.headersSent) return void res.end();
  // A refusal before the body was read: close rather than drain the rest of it to keep the connection.
  if (!req.complete) res.setHeader('Connection', 'close');
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  sendJson(res, answer.status, errorBody(answer));
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const { type, status, message, limit } = (error ?? {}) as { type?: string; status?: number; message?: string; limit?: number };
  if (type === 'entity.too.large') return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
  if (type === 'encoding.unsupported') return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', message ?? 'unsupported content encoding');
  if (type === 'request.aborted' || type === 'request.size.invalid') return new HttpError(400, 'INVALID_ARGUMENT', message ?? 'request aborted');
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, 'INVALID_ARGUMENT', message ?? 'bad request');
  return new HttpError(500, 'INTERNAL', 'internal error');
}

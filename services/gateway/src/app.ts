import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import express from 'express';
import type { Logger } from '@sophon/logger';
import { opsRoutes, type ReadinessCheck, type Registry } from '@sophon/ops-http';
import { refuseEncodedBody } from './http/content-encoding.js';
import type { DeviceAuthenticator } from './http/device-auth.js';
import { errorBody, HttpError } from './http/http-error.js';
import { inflightGate } from './http/inflight-gate.js';
import { rawBodyReader, readUpload, UnreadableUpload, type UploadLimits } from './http/read-upload.js';
import { requestRateLimit } from './http/request-rate-limit.js';
import type { UploadHandler } from './ingest/handle-upload.js';
import { isStrictRequest } from './ingest/upload-answer.js';
import type { GatewayMetrics } from './metrics.js';

/** Upload routes (upload-routes.ts): paths a box may be configured with, and the handler of what it posts there. */
export interface UploadRoute {
  paths: readonly string[];
  handle: UploadHandler;
}

export interface GatewayAppDeps {
  routes: UploadRoute[];
  limits: UploadLimits & { maxInflightBytes: number; retryAfterSeconds: number; requestsPerWindow: number; windowSeconds: number };
  authenticate: DeviceAuthenticator;
  readiness: ReadinessCheck[];
  isAccepting: () => boolean;
  registry: Registry;
  metrics: GatewayMetrics;
  logger: Logger;
}

export function createGatewayApp(deps: GatewayAppDeps): Express {
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
  const admit = inflightGate({ ...deps.limits, inflightBytes: deps.metrics.inflightBytes, inflightRequests: deps.metrics.inflightRequests });
  const readBody = rawBodyReader(deps.limits);
  const rateLimit = requestRateLimit({ requests: deps.limits.requestsPerWindow, windowSeconds: deps.limits.windowSeconds });

  /**
   * One upload, start to answer. One function rather than a chain of middleware: express's
   * dispatch between seven handlers cost more per small event than any of them.
   */
  const handleUploadRequest = async (route: UploadRoute, req: Request, res: Response) => {
    // The cheap refusals, cheapest first, all before a byte of the body is read; the in-flight
    // gate last, so a client refused here never holds budget that boxes need.
    if (!deps.isAccepting()) throw new HttpError(503, 'UNAVAILABLE', 'the gateway is shutting down; retry later', {}, { 'Retry-After': '5' });
    refuseEncodedBody(req);
    const principal = deps.authenticate(req);
    await rateLimit(principal, req);
    admit(req, res);
    await readBody(req, res);

    const context = {
      principal,
      receivedAt: Date.now(),
      path: req.path,
      remoteAddress: req.ip,
      strict: isStrictRequest(req.query),
    };
    if (Buffer.isBuffer(req.body)) deps.metrics.requestBytes.inc(req.body.length);
    let body: unknown;
    try {
      body = await readUpload(req, deps.limits);
    } catch (error) {
      if (!(error instanceof UnreadableUpload)) throw error;
      req.body = undefined;
      const answer = await route.handle.quarantineUnreadable(error, context);
      sendJson(res, answer.status, answer.body);
      return;
    }
    // The raw bytes are not needed any more: let them go now, not after a publish that may wait for Kafka.
    req.body = undefined;
    // Nor the parsed body here: an async function keeps its locals across an await (measured: the
    // base64 text of every stalled request stayed alive, 4/3 of its pictures, uncounted by the gate).
    const answering = route.handle.upload(body, context);
    body = undefined;
    const answer = await answering;
    sendJson(res, answer.status, answer.body);
  };

  // Uploads before the operations routes: they are nearly every request. One route per path, so
  // the route (the metrics label) is the pattern that matched.
  for (const [path, route] of routesByPath(deps.routes)) {
    const handler: RequestHandler = (req, res, next) => void handleUploadRequest(route, req, res).catch(next);
    app.post(path, handler);
  }
  app.use(opsRoutes({ registry: deps.registry, checks: deps.readiness, isAccepting: deps.isAccepting }));

  app.use((req, _res, next) => {
    next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}

/** Each path once: express would quietly give a path claimed twice to the first kind that claimed it. */
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
 * What res.json() sends, without express's send() machinery (freshness, ETag, HEAD, encoding
 * checks) that a POST answer never needs: it cost more than the rest of the answer under load.
 */
function sendJson(res: Response, status: number, body: unknown): void {
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
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, response, _next) => {
    const answer = toHttpError(error);
    if (answer.status >= 500 && answer.status !== 503) logger.error({ err: error, path: req.path }, 'request failed');
    if (response.headersSent) return void response.end();
    // A refusal before the body was read: close rather than drain the rest of it to keep the connection.
    if (!req.complete) response.set('Connection', 'close');
    response.set(answer.headers).status(answer.status).json(errorBody(answer));
  };
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

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';
import { HttpError } from './http-error.js';

/** Who is posting: a device bound to one dev_sno, or a token allowed for any device. */
export interface DevicePrincipal {
  /** The dev_sno this token may post as; undefined = any device (wildcard token or open mode). */
  devSno: string | undefined;
  /** Stable, non-secret label for logs and rate limiting. */
  label: string;
}

/** What a token can come with: the query (boxes can only be given a URL), the headers, the peer's address. */
export interface PresentedRequest {
  headers: IncomingHttpHeaders;
  query: ParsedUrlQuery;
  /** The peer's address; no proxy in front is trusted. */
  ip: string | undefined;
}

export type DeviceAuthenticator = (req: PresentedRequest) => DevicePrincipal;

/** Parses "token:dev_sno,token2:*" and/or lines of "token dev_sno" into a token table. */
export function parseDeviceTokens(list: string | undefined, fileText: string | undefined): Map<string, string | undefined> {
  const tokens = new Map<string, string | undefined>();
  const add = (token: string, devSno: string, where: string) => {
    if (!token || !devSno) throw new Error(`${where}: expected token and dev_sno`);
    if (tokens.has(token)) throw new Error(`${where}: token listed twice`);
    tokens.set(token, devSno === '*' ? undefined : devSno);
  };
  (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const at = entry.lastIndexOf(':');
      const where = `GATEWAY_DEVICE_TOKENS entry ${index + 1}`;
      if (at < 0) throw new Error(`${where}: expected "token:dev_sno" (or "token:*"), found no ":"`);
      add(entry.slice(0, at).trim(), entry.slice(at + 1).trim(), where);
    });
  (fileText ?? '').split('\n').forEach((line, index) => {
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    const [token = '', devSno = '', ...rest] = text.split(/\s+/);
    if (rest.length) throw new Error(`GATEWAY_DEVICE_TOKENS_FILE line ${index + 1}: expected "token dev_sno"`);
    add(token, devSno, `GATEWAY_DEVICE_TOKENS_FILE line ${index + 1}`);
  });
  return tokens;
}

/**
 * Boxes can only be given a URL, so the token may come as ?token=; clients that can set
 * headers use Authorization: Bearer or X-Device-Token. Tokens are looked up by their SHA-256
 * digest, never by their text: what the lookup's timing could tell is about a digest, which leads
 * to no token. One lookup whatever the size of the fleet (comparing the presented digest with every
 * token's in constant time cost ~0.13 µs a token: 0.25 ms a request for a site of 2000 boxes).
 */
export function tokenAuthenticator(tokens: Map<string, string | undefined>): DeviceAuthenticator {
  const byDigest = new Map<string, DevicePrincipal>();
  for (const [token, devSno] of tokens) {
    const tokenDigest = digest(token);
    byDigest.set(tokenDigest, Object.freeze({ devSno, label: devSno ?? `token:${tokenDigest.slice(0, 8)}` }));
  }
  return (req) => {
    const presented = tokenOf(req);
    if (presented === undefined) {
      throw new HttpError(401, 'UNAUTHENTICATED', 'a device token is required: ?token=..., Authorization: Bearer ... or X-Device-Token');
    }
    const principal = byDigest.get(digest(presented));
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'the device token is not valid');
    return principal;
  };
}

export const openAuthenticator: DeviceAuthenticator = (req) => ({ devSno: undefined, label: `ip:${req.ip ?? 'unknown'}` });

function tokenOf(req: PresentedRequest): string | undefined {
  const query = req.query.token;
  if (typeof query === 'string' && query) return query;
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim() || undefined;
  const deviceToken = req.headers['x-device-token'];
  return (typeof deviceToken === 'string' && deviceToken) || undefined;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

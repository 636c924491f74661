import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../src/http/http-error.js';
import { parseDeviceTokens, tokenAuthenticator, type PresentedRequest } from '../src/http/device-auth.js';

const presenting = (token: string, where: 'query' | 'bearer' | 'header' = 'query'): PresentedRequest => ({
  query: where === 'query' ? { token } : {},
  headers: where === 'bearer' ? { authorization: `Bearer ${token}` } : where === 'header' ? { 'x-device-token': token } : {},
  ip: '10.0.0.9',
});

const refusedWith401 = (error: unknown) => error instanceof HttpError && error.status === 401;

describe('tokenAuthenticator', () => {
  it('gives each token of a large fleet its own device, however the token comes', () => {
    const list = Array.from({ length: 2000 }, (_, i) => `token-${i}:BOX-${i}`).join(',');
    const authenticate = tokenAuthenticator(parseDeviceTokens(`${list},fleet-token:*`, undefined));
    for (const i of [0, 1, 999, 1999]) {
      for (const where of ['query', 'bearer', 'header'] as const) {
        assert.deepEqual(authenticate(presenting(`token-${i}`, where)), { devSno: `BOX-${i}`, label: `BOX-${i}` });
      }
    }
    const fleet = authenticate(presenting('fleet-token'));
    assert.equal(fleet.devSno, undefined);
    assert.match(fleet.label, /^token:[0-9a-f]{8}$/);
    assert.ok(!fleet.label.includes('fleet-token'), 'the label never shows the token');
  });

  it('refuses a missing, unknown or nearly right token with 401', () => {
    const authenticate = tokenAuthenticator(parseDeviceTokens('token-1:BOX-1', 'token-2 BOX-2'));
    assert.equal(authenticate(presenting('token-2')).devSno, 'BOX-2');
    for (const token of ['token-3', 'token-', 'token-1 ', 'Token-1', 'token-11']) assert.throws(() => authenticate(presenting(token)), refusedWith401, token);
    assert.throws(() => authenticate({ query: {}, headers: {}, ip: undefined }), refusedWith401);
  });

  it('hands out principals nobody can change for the next request', () => {
    const authenticate = tokenAuthenticator(parseDeviceTokens('token-1:BOX-1', undefined));
    const principal = authenticate(presenting('token-1'));
    assert.throws(() => ((principal as { devSno: string | undefined }).devSno = undefined), TypeError);
    assert.equal(authenticate(presenting('token-1')).devSno, 'BOX-1');
  });
});

describe('parseDeviceTokens', () => {
  it('refuses an entry without ":" (a token whose device was forgotten), naming it, instead of cutting the token', () => {
    assert.throws(() => parseDeviceTokens('token-1:BOX-1,3f9c2a7e51d04b8e9a6c1f2d7b3e8a40', undefined), /GATEWAY_DEVICE_TOKENS entry 2: expected "token:dev_sno"/);
  });

  it('refuses an entry with an empty token or device, and a token listed twice', () => {
    for (const list of [':BOX-1', 'token-1:', 'token-1:BOX-1,token-1:BOX-2']) assert.throws(() => parseDeviceTokens(list, undefined), /GATEWAY_DEVICE_TOKENS entry/, list);
  });

  it('keeps a token that itself holds ":" (the device is after the last one)', () => {
    assert.deepEqual([...parseDeviceTokens('a:b:BOX-1', undefined)], [['a:b', 'BOX-1']]);
  });
});

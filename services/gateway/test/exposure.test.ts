/**
 * A token that may post for any box (or no authentication at all) is a development convenience:
 * the gateway refuses to offer it beyond this machine unless told explicitly.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KafkaServer } from '@sophon/test-kit';
import { post, startTestGateway, startTestKafka, TOKENS } from './harness.js';

const BOUND_ONLY = `${TOKENS.boxA}:BOX-A,${TOKENS.boxB}:BOX-B`;
const WHAT_TO_SET = /GATEWAY_DEVICE_TOKENS.*GATEWAY_DEVICE_TOKENS_FILE.*GATEWAY_ALLOW_WILDCARD_ON_LAN=true/s;

let kafka: KafkaServer;
let dir: string;
before(async () => {
  kafka = await startTestKafka();
  dir = await mkdtemp(join(tmpdir(), 'gateway-exposure-'));
});
after(async () => {
  await kafka?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Starts the gateway and stops it again: the point is whether it starts. */
async function starts(overrides: Record<string, string>): Promise<void> {
  const gateway = await startTestGateway(kafka, overrides);
  await gateway.shutdown.stop('test over');
}

describe('refuses to start', () => {
  test('a wildcard token while listening on every interface', async () => {
    await assert.rejects(starts({ GATEWAY_HOST: '0.0.0.0' }), (error: Error) => {
      assert.match(error.message, /a token that may post for any box \(token:\*\)/);
      assert.match(error.message, /0\.0\.0\.0/);
      assert.match(error.message, WHAT_TO_SET);
      return true;
    });
  });

  test('a wildcard token in GATEWAY_DEVICE_TOKENS_FILE on a LAN address', async () => {
    const file = join(dir, 'tokens');
    await writeFile(file, `${TOKENS.boxA} BOX-A\nfleet-token *\n`);
    await assert.rejects(starts({ GATEWAY_HOST: '::', GATEWAY_DEVICE_TOKENS: '', GATEWAY_DEVICE_TOKENS_FILE: file }), WHAT_TO_SET);
  });

  test('GATEWAY_AUTH=open on a non-loopback address', async () => {
    await assert.rejects(starts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_AUTH: 'open' }), (error: Error) => {
      assert.match(error.message, /GATEWAY_AUTH=open/);
      assert.match(error.message, /GATEWAY_AUTH=tokens/);
      assert.match(error.message, /GATEWAY_ALLOW_WILDCARD_ON_LAN=true/);
      return true;
    });
  });

  test('in a container published on the LAN (GATEWAY_PUBLISH_ADDRESS), even when it listens on loopback', async () => {
    await assert.rejects(starts({ GATEWAY_HOST: '127.0.0.1', GATEWAY_PUBLISH_ADDRESS: '0.0.0.0' }), /GATEWAY_PUBLISH_ADDRESS=0\.0\.0\.0/);
  });

  test('an address that is not one', async () => {
    await assert.rejects(starts({ GATEWAY_HOST: 'not an address!' }), /GATEWAY_HOST: /);
  });
});

describe('starts', () => {
  test('with a wildcard token on loopback, the first-run trial', async () => {
    const gateway = await startTestGateway(kafka, { GATEWAY_HOST: '127.0.0.1', GATEWAY_DEVICE_TOKENS: 'dev-token:*' });
    try {
      assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    } finally {
      await gateway.shutdown.stop('test over');
    }
  });

  test('in a container listening on every interface but published on 127.0.0.1 (compose’s default)', async () => {
    await starts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_PUBLISH_ADDRESS: '127.0.0.1', GATEWAY_DEVICE_TOKENS: 'dev-token:*' });
  });

  test('on the LAN with per-box tokens only', async () => {
    const gateway = await startTestGateway(kafka, { GATEWAY_HOST: '0.0.0.0', GATEWAY_DEVICE_TOKENS: BOUND_ONLY });
    try {
      assert.equal((await post(`${gateway.url}/HistoryEvent`, {}, { token: 'dev-token' })).status, 401);
    } finally {
      await gateway.shutdown.stop('test over');
    }
  });

  test('on the LAN with a wildcard token or open auth when GATEWAY_ALLOW_WILDCARD_ON_LAN=true', async () => {
    await starts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_ALLOW_WILDCARD_ON_LAN: 'true' });
    await starts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_AUTH: 'open', GATEWAY_ALLOW_WILDCARD_ON_LAN: 'true' });
  });
});

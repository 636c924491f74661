import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventFrom, gatewayTestBed, post, TOKENS } from './harness.js';

const ROUTE = '/EventServer/api/HistoryEvent';
const bed = gatewayTestBed({ gatewayEnv: { GATEWAY_PUBLISH_TIMEOUT_MS: '2000', GATEWAY_RETRY_AFTER_SECONDS: '7' } });

test('with the broker gone the device hears 503 with Retry-After, never 2xx; service resumes when it is back', async () => {
  assert.equal((await post(bed.gateway.url + ROUTE, eventFrom('BOX-A', 'before'), { token: TOKENS.boxA })).status, 200);

  await bed.kafka.stop();
  const refused = await post(bed.gateway.url + ROUTE, [eventFrom('BOX-A', 'during-1'), eventFrom('BOX-A', 'during-2')], { token: TOKENS.boxA });
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.headers.get('retry-after'), '7');
  assert.equal(refused.json.error.status, 'UNAVAILABLE');
  // True to what may have reached Kafka: either nothing was sent, or a send had started (retry is safe).
  assert.match(refused.json.error.message, /nothing was stored; retry later|may have been stored; retrying is safe \(duplicates are dropped by event id\)/);
  assert.equal(refused.json.data, undefined, 'no event is claimed');
  assert.equal((await fetch(`${bed.gateway.url}/readyz`)).status, 503);
  assert.equal((await fetch(`${bed.gateway.url}/healthz`)).status, 200, 'alive while Kafka is away');

  await bed.kafka.start();
  // A device retries later; within a few retries the gateway has reconnected.
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
    status = (await post(bed.gateway.url + ROUTE, eventFrom('BOX-A', 'after'), { token: TOKENS.boxA })).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.equal(status, 200);
  assert.equal((await fetch(`${bed.gateway.url}/readyz`)).status, 200);
});

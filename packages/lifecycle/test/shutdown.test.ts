import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { createShutdown } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });

test('steps run once, in order, and accepting turns false (and the signal aborts) first', async () => {
  const shutdown = createShutdown({ logger });
  const seen: string[] = [];
  shutdown.onStop('server', () => void seen.push(`server accepting=${shutdown.accepting} aborted=${shutdown.signal.aborted}`));
  shutdown.onStop('producer', async () => void seen.push('producer'));
  assert.equal(shutdown.accepting, true);
  assert.equal(shutdown.signal.aborted, false);
  const [first, second] = await Promise.all([shutdown.stop('test'), shutdown.stop('again')]);
  assert.equal(first, true);
  assert.equal(second, true);
  assert.deepEqual(seen, ['server accepting=false aborted=true', 'producer']);
});

test('a failing step does not stop the next one, and makes the stop unclean', async () => {
  const shutdown = createShutdown({ logger });
  let ranAfter = false;
  shutdown.onStop('broken', () => {
    throw new Error('boom');
  });
  shutdown.onStop('after', () => void (ranAfter = true));
  assert.equal(await shutdown.stop('test'), false);
  assert.equal(ranAfter, true);
});

test('a step that hangs is cut off by the timeout', async () => {
  const shutdown = createShutdown({ logger, timeoutMs: 50 });
  shutdown.onStop('hangs', () => new Promise(() => {}));
  assert.equal(await shutdown.stop('test'), false);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, env, loadConfig } from '../src/index.js';

const shape = {
  PORT: env.port(9528),
  BROKERS: env.list(['localhost:9092']),
  OPEN: env.boolean(false),
  MAX: env.integer(10, { min: 1, max: 100 }),
};

test('defaults apply when variables are absent or empty', () => {
  assert.deepEqual(loadConfig(shape, { OPEN: '' }), { PORT: 9528, BROKERS: ['localhost:9092'], OPEN: false, MAX: 10 });
});

test('values are parsed into their types', () => {
  const config = loadConfig(shape, { PORT: '8080', BROKERS: 'a:1, b:2,', OPEN: 'yes', MAX: '42' });
  assert.deepEqual(config, { PORT: 8080, BROKERS: ['a:1', 'b:2'], OPEN: true, MAX: 42 });
});

test('every bad variable is named in one error, with what it got', () => {
  assert.throws(
    () => loadConfig(shape, { PORT: 'eighty', OPEN: 'maybe', MAX: '1000' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 3);
      assert.match(error.message, /PORT: .*got "eighty"/);
      assert.match(error.message, /OPEN: must be true or false/);
      assert.match(error.message, /MAX: .*100/);
      return true;
    },
  );
});

test('values of secret-looking variables are not echoed', () => {
  assert.throws(
    () => loadConfig({ API_TOKEN: env.integer(1) }, { API_TOKEN: 'hunter2' }),
    (error: Error) => !error.message.includes('hunter2') && /API_TOKEN/.test(error.message),
  );
});

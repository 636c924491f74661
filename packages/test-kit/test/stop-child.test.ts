import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { stopChild } from '../src/stop-child.js';

/** A node child running `script`, resolved once it printed "up" (its signal handlers are installed). */
async function child(script: string) {
  const running = spawn(process.execPath, ['-e', `${script}; console.log('up'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(running.stdout!, 'data');
  return running;
}

test('stopChild sends SIGTERM and resolves with how the child exited', async () => {
  const clean = await child("process.on('SIGTERM', () => process.exit(3))");
  assert.deepEqual(await stopChild(clean), { code: 3, signal: null });
  const plain = await child('');
  assert.deepEqual(await stopChild(plain), { code: null, signal: 'SIGTERM' });
});

test('stopChild with SIGKILL ends a child that ignores SIGTERM, and a child already gone resolves at once', async () => {
  const stubborn = await child("process.on('SIGTERM', () => {})");
  assert.deepEqual(await stopChild(stubborn, 'SIGKILL'), { code: null, signal: 'SIGKILL' });
  assert.deepEqual(await stopChild(stubborn), { code: null, signal: 'SIGKILL' });
});

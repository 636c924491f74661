import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { sampleHistoryEvent } from '@sophon/event-contract/testing';
import type { KafkaServer } from '@sophon/test-kit';
import { gatewayEnv, startTestKafka, startTopicReader, TOKENS, type TopicReader } from './harness.js';
import { DEFAULT_TOPICS } from '@sophon/event-contract';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let kafka: KafkaServer;
before(async () => {
  kafka = await startTestKafka();
});
after(() => kafka?.close());

test('SIGTERM: stops accepting, finishes the request in flight, flushes to Kafka, exits 0', async () => {
  const reader = await startTopicReader(kafka.brokers, [DEFAULT_TOPICS.historyEvents]);
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN], {
    env: { ...process.env, ...gatewayEnv(kafka, { LOG_LEVEL: 'info' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.msg === 'gateway listening') resolve(entry.url);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
    });

    const event = structuredClone(sampleHistoryEvent()) as any;
    event.identity_id = 'in-flight-at-sigterm';
    event.ext_data.dev_sno = 'BOX-A';
    event.ext_data.ep_id = 'BOX-A__192.168.1.101';
    const body = Buffer.from(JSON.stringify(event));

    // Send half the body, SIGTERM the gateway, then the rest: the request must still succeed.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/HistoryEvent?token=${TOKENS.boxA}`, { method: 'POST', headers: { 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, body.length >> 1));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(body.length >> 1)), 300);
      }, 200);
    });
    const { status, text } = await answer;
    assert.equal(status, 200, text);
    const eventId = JSON.parse(text).data.event_id;
    assert.equal(await exited, 0, 'exit code');
    await reader.waitFor((all) => all.find((m) => m.headers['event-id'] === eventId), 'the in-flight event in Kafka');
    await assert.rejects(fetch(`${url}/healthz`), 'no longer listening');
  } finally {
    child.kill('SIGKILL');
    await reader.close();
  }
});

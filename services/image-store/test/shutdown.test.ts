import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { OutboundMessage } from '@sophon/event-contract';
import type { DurableProducer } from '@sophon/kafka';
import { startS3, type KafkaServer, type S3Server } from '@sophon/test-kit';
import {
  committedMessages,
  connectProducer,
  eventMessages,
  imageStoreEnv,
  imagesOf,
  listKeys,
  s3Client,
  startTestImageStore,
  startTestKafka,
  until,
} from './harness.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let kafka: KafkaServer;
let s3: S3Server;
let producer: DurableProducer;
/** Every image message published by the tests of this file. */
const published: OutboundMessage[] = [];

before(async () => {
  [kafka, s3] = await Promise.all([startTestKafka(), startS3()]);
  producer = await connectProducer(kafka);
});
after(async () => {
  await producer?.disconnect();
  await kafka?.close();
  await s3?.close();
});

/** Publishes an event (four ~1 KB pictures) every 50 ms until stopped: a stream to stop in the middle of. */
function startPublishing(series: string) {
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const messages = eventMessages(series, n, (kind) => 1000 + n * 4 + kind);
      await producer.publish(messages);
      published.push(...imagesOf(messages));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const storedCount = async () => (await listKeys(s3Client(s3))).length;

test('shutdown.stop() in the middle of a stream stops cleanly and commits only what is stored', async () => {
  const service = await startTestImageStore(kafka, s3);
  const stopPublishing = startPublishing('in-process');
  let storedAtStop: number;
  try {
    await until(async () => (await storedCount()) >= 20, 'pictures flowing');
    const started = Date.now();
    assert.equal(await service.shutdown.stop('test'), true, 'every shutdown step succeeded');
    assert.ok(Date.now() - started < 5000, `stop took ${Date.now() - started} ms`);
    storedAtStop = await storedCount();
    await until(() => published.length >= storedAtStop + 8, 'the stream to go on after the stop');
  } finally {
    await stopPublishing();
  }
  assert.equal(await storedCount(), storedAtStop, 'nothing stored after the stop');
  assert.ok((await committedMessages(kafka)) <= storedAtStop, 'no offset committed past a picture that is not stored');
});

test('SIGTERM in the middle of a stream: the process stops cleanly and exits 0', async () => {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN], {
    env: { ...process.env, ...imageStoreEnv(kafka, s3, { LOG_LEVEL: 'info' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stopPublishing = startPublishing('sigterm');
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if ((JSON.parse(line) as { msg?: string }).msg === 'joined consumer group') resolve();
      });
      child.once('exit', (code) => reject(new Error(`image store exited early with ${code}`)));
    });
    const storedBefore = await storedCount();
    await until(async () => (await storedCount()) >= storedBefore + 20, 'pictures flowing through the child');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'exit code');
  } finally {
    child.kill('SIGKILL');
    await stopPublishing();
  }
});

test('the next member of the group stores everything the stopped ones left: nothing is lost', async () => {
  const service = await startTestImageStore(kafka, s3);
  try {
    await until(async () => (await committedMessages(kafka)) === published.length, 'every published picture committed', 20_000);
    assert.deepEqual(await listKeys(s3Client(s3)), [...new Set(published.map((image) => image.headers['object-key']!))].sort());
  } finally {
    await service.shutdown.stop('test over');
  }
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Client } from 'minio';
import type { RunningConsumerService } from '@sophon/consumer-service';
import type { OutboundMessage } from '@sophon/event-contract';
import { tinyImage } from '@sophon/event-contract/testing';
import { DEAD_LETTER_HEADERS, type DurableProducer } from '@sophon/kafka';
import { startS3, type KafkaServer, type S3Server } from '@sophon/test-kit';
import {
  committedMessages,
  connectProducer,
  DEAD_LETTER_TOPIC,
  eventMessages,
  imagesOf,
  listKeys,
  metricValue,
  readObject,
  readTopic,
  s3Client,
  startTestImageStore,
  startTestKafka,
  until,
  BUCKET,
} from './harness.js';

// One service for the whole file: a group's first join takes ~3 s on the test broker.
let kafka: KafkaServer;
let s3: S3Server;
let service: RunningConsumerService;
let producer: DurableProducer;
let client: Client;
/** Image messages published so far, redeliveries included: the group commits past all of them. */
let published = 0;

before(async () => {
  [kafka, s3] = await Promise.all([startTestKafka(), startS3()]); // no bucket: the service creates it
  service = await startTestImageStore(kafka, s3);
  producer = await connectProducer(kafka);
  client = s3Client(s3);
});
after(async () => {
  await service?.shutdown.stop('test over');
  await producer?.disconnect();
  await kafka?.close();
  await s3?.close();
});

async function publish(messages: OutboundMessage[]) {
  await producer.publish(messages);
  published += imagesOf(messages).length;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const firstEvents = Array.from({ length: 5 }, (_, n) => eventMessages('store', n)).flat();

test('every picture of several events is in S3 byte-exact at its announced key, with content type and metadata', async () => {
  await publish(firstEvents);
  const images = imagesOf(firstEvents);
  assert.equal(images.length, 20);
  await until(async () => (await listKeys(client)).length === images.length, 'every picture in S3');

  assert.deepEqual(await listKeys(client), images.map((image) => image.headers['object-key']).sort());
  for (const image of images) {
    const key = image.headers['object-key']!;
    assert.match(key, /^2023\/11\/14\/3714be15-09b3-41ec-b9ce-62b668e5fa32\/[0-9a-f]{32}\/(reg_pic|spot_pic|ir_pic|recognize_face)\.(jpg|png|webp)$/);
    assert.deepEqual(await readObject(client, key), image.value, `${key} bytes`);
    const stat = await client.statObject(BUCKET, key);
    assert.equal(stat.size, image.value.length);
    assert.equal(stat.metaData['content-type'], image.headers['content-type']);
    assert.equal(stat.metaData['event-id'], image.headers['event-id']);
    assert.equal(stat.metaData['sha256'], sha256(image.value));
    assert.equal(stat.metaData['picture-kind'], image.headers['picture-kind']);
    assert.equal(stat.metaData['dev-sno'], image.headers['dev-sno']);
  }
  assert.deepEqual(new Set(images.map((image) => image.headers['content-type'])), new Set(['image/jpeg', 'image/png', 'image/webp']));
  await until(async () => (await committedMessages(kafka)) === published, 'offsets committed');
  assert.equal(await metricValue(service.opsUrl, 'image_store_pictures_stored_total'), 20);
  assert.equal(await metricValue(service.opsUrl, 'image_store_bytes_stored_total'), images.reduce((sum, image) => sum + image.value.length, 0));
  assert.equal(await metricValue(service.opsUrl, 'image_store_s3_put_seconds_count'), 20);
});

test('a replay of the same messages leaves exactly one object per picture, with the same bytes', async () => {
  const keysBefore = await listKeys(client);
  assert.equal(keysBefore.length, 20, 'the first test stored them');
  await publish(firstEvents);
  await until(async () => (await committedMessages(kafka)) === published, 'the replay committed');

  assert.deepEqual(await listKeys(client), keysBefore);
  for (const image of imagesOf(firstEvents)) assert.deepEqual(await readObject(client, image.headers['object-key']!), image.value);
  assert.equal(await metricValue(service.opsUrl, 'image_store_pictures_stored_total'), 40, 'written again, harmlessly');
});

test('a picture whose bytes do not match its sha256, one without headers and one with a key S3 refuses are dead-lettered; the rest is stored', async () => {
  const messages = eventMessages('poison', 1);
  const [tampered, tooLongKey, ...good] = imagesOf(messages);
  assert.ok(tampered && tooLongKey && good.length === 2);
  const withoutHeaders: OutboundMessage = { topic: tampered.topic, key: 'no-headers', value: tinyImage('jpeg', 300), headers: {} };
  await publish([
    { ...tampered, value: tinyImage('jpeg', 5000) },
    withoutHeaders,
    // minio refuses keys over S3's 1024 bytes before sending anything: only this message can cause that.
    { ...tooLongKey, headers: { ...tooLongKey.headers, 'object-key': `${'k/'.repeat(520)}${tooLongKey.headers['object-key']}` } },
    ...good,
  ]);

  const deadLetters = await readTopic(kafka, DEAD_LETTER_TOPIC, 3);
  const reasonOf = (predicate: (headers: Record<string, string>) => boolean) =>
    deadLetters.find((letter) => predicate(letter.headers))?.headers[DEAD_LETTER_HEADERS.error];
  assert.match(reasonOf((h) => h['object-key'] === tampered.headers['object-key']) ?? '', /^PermanentError: picture bytes do not match their sha256 header/);
  assert.match(reasonOf((h) => h['event-id'] === undefined) ?? '', /^PermanentError: event-images message has no "event-id" header/);
  assert.match(reasonOf((h) => (h['object-key'] ?? '').length > 1024) ?? '', /^PermanentError: S3 refused the picture: InvalidObjectNameError/);
  for (const letter of deadLetters) {
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.sourceTopic], 'event-images');
    assert.equal(letter.headers[DEAD_LETTER_HEADERS.consumerGroup], 'image-store');
  }
  assert.deepEqual(deadLetters.find((letter) => letter.key === 'no-headers')?.value, withoutHeaders.value, 'the original bytes are kept');

  await until(async () => (await committedMessages(kafka)) === published, 'committed past the dead letters');
  const keys = await listKeys(client);
  for (const image of good) assert.deepEqual(await readObject(client, image.headers['object-key']!), image.value);
  assert.ok(!keys.includes(tampered.headers['object-key']!), 'the tampered picture was not stored');
  assert.equal(keys.length, 20 + good.length);
});

test('a box serial that cannot go into an HTTP header as it is is stored percent-encoded in the metadata', async () => {
  const devSno = '箱 7/入口';
  const messages = eventMessages('unicode', 1, undefined, { dev_sno: devSno, ep_id: `${devSno}__192.168.1.101` });
  await publish(messages);
  await until(async () => (await committedMessages(kafka)) === published, 'the event committed');
  for (const image of imagesOf(messages)) {
    const key = image.headers['object-key']!;
    assert.match(key, /^2023\/11\/14\/__7___--[0-9a-f]{16}\//, 'the key uses the key-safe serial');
    assert.deepEqual(await readObject(client, key), image.value);
    const { metaData } = await client.statObject(BUCKET, key);
    assert.equal(decodeURIComponent(metaData['dev-sno']), devSno);
  }
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningConsumerService } from '@sophon/consumer-service';
import type { DurableProducer } from '@sophon/kafka';
import { startS3, type KafkaServer, type S3Server } from '@sophon/test-kit';
import {
  committedMessages,
  connectProducer,
  BUCKET,
  eventMessages,
  imagesOf,
  listKeys,
  metricValue,
  readObject,
  readyz,
  recordingLogger,
  s3Client,
  startTestImageStore,
  startTestKafka,
  until,
} from './harness.js';

let kafka: KafkaServer;
let s3: S3Server;
let service: RunningConsumerService;
let producer: DurableProducer;
const log = recordingLogger();

before(async () => {
  [kafka, s3] = await Promise.all([startTestKafka(), startS3()]);
  service = await startTestImageStore(kafka, s3, {}, log.logger);
  producer = await connectProducer(kafka);
});
after(async () => {
  await service?.shutdown.stop('test over');
  await producer?.disconnect();
  await kafka?.close();
  await s3?.close();
});

test('S3 down for a while: /readyz says 503, nothing is committed, and everything published meanwhile is stored once S3 is back', async () => {
  const client = s3Client(s3);
  const beforeOutage = Array.from({ length: 2 }, (_, n) => eventMessages('outage', n)).flat();
  await producer.publish(beforeOutage);
  await until(async () => (await committedMessages(kafka)) === 8, 'the first pictures committed');

  await s3.stop();
  await until(async () => (await readyz(service.opsUrl)).status === 503, '/readyz to notice the outage');
  const s3Check = (await readyz(service.opsUrl)).body.checks.find((check) => check.name === 's3');
  assert.equal(s3Check?.ok, false);

  const duringOutage = Array.from({ length: 3 }, (_, n) => eventMessages('outage', 10 + n)).flat();
  await producer.publish(duringOutage);
  // Enough attempts for the backoff to grow to its 1 s ceiling: an outage of a couple of seconds.
  await until(async () => (await metricValue(service.opsUrl, 'consumer_batch_retries_total')) >= 10, 'the sink to fail and be retried for a while');
  assert.equal(await committedMessages(kafka), 8, 'nothing committed while S3 was down');
  assert.equal((await readyz(service.opsUrl)).status, 503);

  await s3.start();
  const all = imagesOf([...beforeOutage, ...duringOutage]);
  await until(async () => (await committedMessages(kafka)) === all.length, 'every picture committed after the outage');
  assert.deepEqual(await listKeys(client), all.map((image) => image.headers['object-key']).sort(), 'one object per picture, none lost');
  for (const image of all) assert.deepEqual(await readObject(client, image.headers['object-key']!), image.value);
  await until(async () => (await readyz(service.opsUrl)).status === 200, '/readyz to recover');
});

test('a bucket that disappears is a configuration problem: logged loudly, retried (not dead-lettered) until it is back', async () => {
  const client = s3Client(s3);
  const committedBefore = await committedMessages(kafka);
  // One by one: s3rver answers a multi-object delete of several keys with 500.
  for (const key of await listKeys(client)) await client.removeObject(BUCKET, key);
  await client.removeBucket(BUCKET);
  await until(async () => (await readyz(service.opsUrl)).status === 503, '/readyz to notice the missing bucket');

  const event = eventMessages('no-bucket', 1);
  await producer.publish(event);
  await until(() => log.entries.some((entry) => entry.level === 'error' && entry.code === 'NoSuchBucket'), 'an error naming NoSuchBucket');
  const complaint = log.entries.find((entry) => entry.code === 'NoSuchBucket');
  assert.match(complaint?.msg ?? '', /S3 refuses writes to the bucket: check S3_BUCKET/);
  assert.match(complaint?.eventId ?? '', /^[0-9a-f]{32}$/);
  assert.equal(complaint?.bucket, BUCKET);
  assert.equal(await committedMessages(kafka), committedBefore, 'nothing committed while the bucket was missing');
  assert.equal(await metricValue(service.opsUrl, 'consumer_messages_dead_lettered_total'), 0);

  await client.makeBucket(BUCKET, s3.region); // the operator's fix
  await until(async () => (await committedMessages(kafka)) === committedBefore + 4, 'the event committed once the bucket is back');
  assert.deepEqual(await listKeys(client), imagesOf(event).map((image) => image.headers['object-key']).sort());
  assert.equal((await readyz(service.opsUrl)).status, 200);
});

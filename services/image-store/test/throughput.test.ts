import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningConsumerService } from '@sophon/consumer-service';
import { startS3, type KafkaServer, type S3Server } from '@sophon/test-kit';
import { connectProducer, eventMessages, imagesOf, listKeys, metricValue, s3Client, startTestImageStore, startTestKafka, until } from './harness.js';

const EVENTS = 75; // 300 pictures
let kafka: KafkaServer;
let s3: S3Server;
let service: RunningConsumerService | undefined;

before(async () => {
  [kafka, s3] = await Promise.all([startTestKafka(), startS3()]);
});
after(async () => {
  await service?.shutdown.stop('test over');
  await kafka?.close();
  await s3?.close();
});

test('drains a backlog of 300 pictures of 20-50 KB into S3 (rate printed, not asserted)', async (t) => {
  // Sizes spread over 20-50 KB; the backlog is in Kafka before the service starts, so the rate is the sink's.
  const messages = Array.from({ length: EVENTS }, (_, n) => eventMessages('throughput', n, (kind) => 20_000 + (((n * 4 + kind) * 7919) % 30_000))).flat();
  const images = imagesOf(messages);
  const producer = await connectProducer(kafka);
  for (let i = 0; i < messages.length; i += 100) await producer.publish(messages.slice(i, i + 100));
  await producer.disconnect();

  service = await startTestImageStore(kafka, s3);
  const opsUrl = service.opsUrl;
  const stored = () => metricValue(opsUrl, 'image_store_pictures_stored_total');
  await until(async () => (await stored()) > 0, 'the first picture stored');
  const started = performance.now();
  const storedAtStart = await stored();
  await until(async () => (await stored()) === images.length, 'every picture stored', 30_000);
  const seconds = (performance.now() - started) / 1000;

  const bytes = images.reduce((sum, image) => sum + image.value.length, 0);
  const counted = images.length - storedAtStart;
  const countedBytes = (bytes * counted) / images.length;
  t.diagnostic(
    `image-store -> s3rver: ${(counted / seconds).toFixed(0)} pictures/s, ${(countedBytes / seconds / 1e6).toFixed(1)} MB/s ` +
      `(${images.length} pictures, ${(bytes / 1e6).toFixed(1)} MB, mean put ${((await metricValue(opsUrl, 'image_store_s3_put_seconds_sum')) / images.length * 1000).toFixed(1)} ms)`,
  );
  assert.equal(await metricValue(opsUrl, 'image_store_bytes_stored_total'), bytes);
  assert.deepEqual(await listKeys(s3Client(s3)), images.map((image) => image.headers['object-key']).sort());
});

/**
 * Image store: MB/s from a pre-filled event-images topic into S3, against putObject of the same
 * pictures straight from this process in the same run, at the concurrency the store can reach
 * (IMAGE_STORE_CONCURRENCY 8 × 4 partitions at a time). s3rver runs in a process of its own, so
 * neither client shares its event loop; the broker has 64 partitions (it keeps ~5 MB each).
 */
import type { Producer } from 'kafkajs';
import { createHistoryEventAdapter, DEFAULT_TOPICS, type OutboundMessage } from '@sophon/event-contract';
import { createEventGenerator, createRandom, simulatedDevices } from '@sophon/device-simulator';
import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { freePort, metricValue, startKafka, waitFor } from '@sophon/test-kit';
import { createObjectStore } from '@sophon/object-store';
import { startScript, startService } from './child-processes.js';
import { startPhase } from './process-stats.js';
import { MB, MiB, type BenchSettings } from './settings.js';
import { picturePool } from './uploads.js';

const TOPIC = DEFAULT_TOPICS.eventImages;
const PARTITIONS = 64;
const BUCKET = 'sophon-events';
const DIRECT_BUCKET = 'bench-direct';
const DIRECT_CONCURRENCY = 32;
const TARGET_RATIO = 0.7;
const S3_KEY = 'S3RVER';

export async function benchmarkImageStore(settings: BenchSettings): Promise<{ peakRssBytes: number }> {
  const { output, recorder } = settings;
  const events = settings.quick ? 12 : 400;
  const pictures = fullEventPictures(events);
  const bytes = pictures.reduce((sum, picture) => sum + picture.value.length, 0);
  output.line(`image store: ${pictures.length} pictures of ${events} full events (${(bytes / MB).toFixed(0)} MB)`);

  const [kafka, s3] = await Promise.all([
    startKafka({ topics: { [TOPIC]: PARTITIONS, 'pipeline-dead-letter': 1 } }),
    startScript('deploy/bench/s3-server.ts', 'S3', { S3_BUCKETS: `${BUCKET},${DIRECT_BUCKET}` }),
  ]);
  const producer = createKafkaClient({ brokers: kafka.brokers, clientId: 'bench' }, createLogger({ service: 'bench', level: 'silent' })).producer();
  let store: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    await producer.connect();
    await produceEvenly(producer, pictures);

    const directRate = await putDirectly(new URL(s3.value), pictures, bytes);

    const opsPort = await freePort();
    const opsUrl = `http://127.0.0.1:${opsPort}`;
    store = await startService(
      'image-store',
      {
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        S3_ENDPOINT: s3.value,
        S3_ACCESS_KEY: S3_KEY,
        S3_SECRET_KEY: S3_KEY,
        S3_REGION: 'us-east-1',
        S3_BUCKET: BUCKET,
        OPS_HOST: '127.0.0.1',
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
      },
      opsUrl,
    );
    await waitFor(async () => (await metricValue(opsUrl, 'consumer_messages_consumed_total')) > 0, 'the image store to fetch', 60_000, 10);
    const phase = startPhase({ store: store.pid });
    const started = performance.now();
    await waitFor(async () => (await metricValue(opsUrl, 'image_store_pictures_stored_total')) >= pictures.length, 'every picture stored', 180_000, 50);
    const storeRate = bytes / MB / ((performance.now() - started) / 1000);
    const { store: stats } = phase.end();

    const ratio = storeRate / directRate;
    recorder.target('image store: MB/s vs direct putObject', ratio * 100, '>=', TARGET_RATIO * 100, '%');
    recorder.section({
      title: 'Image store: event-images → S3',
      method:
        `${pictures.length} pictures of ${events} full events from the simulator (scene 150–400 KB, face 8–30 KB, IR 10–40 KB, registered 20–100 KB; ` +
        `${(bytes / MB).toFixed(0)} MB) pre-filled over ${PARTITIONS} partitions. Baseline in the same run: the same pictures put straight into s3rver with minio's ` +
        `putObject from the benchmark process, ${DIRECT_CONCURRENCY} at a time, with the store's metadata. The store, a process with its product settings, ` +
        'is timed from its first fetched message to its last stored picture.',
      header: ['run', 'MB/s', 'pictures/s', 'store CPU', 'store peak RSS'],
      rows: [
        ['direct putObject', recorder.figure('imageStore.directPut.megabytesPerSecond', directRate, 'MB/s'), recorder.figure('imageStore.directPut.picturesPerSecond', (directRate * MB * pictures.length) / bytes, 'pictures/s'), '', ''],
        [
          'image store',
          recorder.figure('imageStore.megabytesPerSecond', storeRate, 'MB/s'),
          recorder.figure('imageStore.picturesPerSecond', (storeRate * MB * pictures.length) / bytes, 'pictures/s'),
          recorder.figure('imageStore.cores', stats!.cores, 'cores', 2),
          recorder.figure('imageStore.peakRssMiB', stats!.peakRssBytes / MiB, 'MiB', 0),
        ],
        ['image store ÷ direct putObject', recorder.figure('imageStore.ratioToDirectPut', ratio * 100, '%', 0), '', '', ''],
      ],
    });
    output.line(`image store: ${storeRate.toFixed(1)} MB/s (direct putObject ${directRate.toFixed(1)} MB/s)`);
    return { peakRssBytes: stats!.peakRssBytes };
  } finally {
    await store?.stop();
    await producer.disconnect();
    await Promise.all([kafka.close(), s3.stop()]);
  }
}

/** The event-images messages the gateway publishes for `count` full events of the simulator. */
function fullEventPictures(count: number): OutboundMessage[] {
  const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 3 * MiB });
  const generator = createEventGenerator({ profile: 'full', random: createRandom(21), pictures: picturePool() });
  const devices = simulatedDevices({ count: 50 });
  return Array.from({ length: count }, (_, i) => {
    const result = adapter.parse(generator.next(devices[i % devices.length]!), { receivedAt: Date.now() });
    if (!result.ok) throw new Error(`generated event rejected: ${JSON.stringify(result.errors)}`);
    return result.messages.filter((message) => message.topic === TOPIC);
  }).flat();
}

/** Runs of 6 pictures (~2 MB) per partition in turn: even shares under the broker's ~5 MB, and fetches of several pictures. */
async function produceEvenly(producer: Producer, pictures: OutboundMessage[]): Promise<void> {
  const runLength = 6;
  for (let at = 0; at < pictures.length; at += 4 * runLength) {
    const chunk = pictures.slice(at, at + 4 * runLength).map((picture, i) => ({
      key: picture.key,
      value: picture.value,
      headers: picture.headers,
      partition: Math.floor((at + i) / runLength) % PARTITIONS,
    }));
    await producer.send({ topic: TOPIC, acks: -1, messages: chunk });
  }
}

/** The same pictures, same keys and metadata, put by the store's own minio client. */
async function putDirectly(endpoint: URL, pictures: OutboundMessage[], bytes: number): Promise<number> {
  const { client, close } = createObjectStore({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: false,
    accessKey: S3_KEY,
    secretKey: S3_KEY,
    region: 'us-east-1',
    requestTimeoutMs: 30_000, // S3_REQUEST_TIMEOUT_MS' default
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DIRECT_CONCURRENCY }, async () => {
      while (next < pictures.length) {
        const picture = pictures[next++]!;
        await client.putObject(DIRECT_BUCKET, picture.headers['object-key']!, picture.value, picture.value.length, {
          'Content-Type': picture.headers['content-type']!,
          'x-amz-meta-event-id': picture.headers['event-id']!,
          'x-amz-meta-dev-sno': picture.headers['dev-sno']!,
          'x-amz-meta-picture-kind': picture.headers['picture-kind']!,
          'x-amz-meta-sha256': picture.headers['sha256']!,
        });
      }
    }),
  );
  const rate = bytes / MB / ((performance.now() - started) / 1000);
  close();
  return rate;
}

import { checkClickHouseReady, clickhouseConnection, createClickHouseClient } from '@sophon/clickhouse';
import { consumerKafkaSettings, consumerSettings, runConsumerService, type RunningConsumerService } from '@sophon/consumer-service';
import { createConsumerMetrics, createConsumerRunner, createDurableProducer, createKafkaClient, type ConsumerMetrics, type ConsumerRunner } from '@sophon/kafka';
import { retry } from '@sophon/lifecycle';
import type { Logger } from '@sophon/logger';
import { objectStoreSettings } from '@sophon/object-store';
import { Registry } from '@sophon/ops-http';
import { chainedBoxes, configuredBoxes } from './box-directory.js';
import { registryBoxes } from './registry-boxes.js';
import { createBoxGate } from './box-gate.js';
import type { DeviceSyncConfig } from './config.js';
import { clickhouseDeliveries } from './deliveries-table.js';
import { createDeliverySink } from './delivery-sink.js';
import { createDeviceSyncMetrics } from './metrics.js';
import { createPictureStore } from './pictures.js';
import type { TargetPolicy } from './targets.js';

export const SERVICE = 'device-sync';

export interface RunningDeviceSync extends RunningConsumerService {
  /** The second consumer, of the retry topic (its own group: its waits never hold up fresh commands). */
  retryRunner: ConsumerRunner;
}

export function targetPolicy(config: DeviceSyncConfig): TargetPolicy {
  if (config.DEVICE_SYNC_TARGET_POLICY === 'site') return { kind: 'site', sites: config.DEVICE_SYNC_SITES };
  if (config.DEVICE_SYNC_TARGET_POLICY === 'list') return { kind: 'list', boxes: config.DEVICE_SYNC_TARGET_BOXES };
  return { kind: 'source' };
}

/**
 * Composes the service: the shared consumer skeleton reads face-registrations; a second runner,
 * in group `<CONSUMER_GROUP_ID>-retry`, reads the retry topic with the same sink. A parked
 * delivery waits for its time inside the retry runner's batch, which must not stall the fetches
 * of fresh commands: hence a consumer of its own. `shutdown.stop()` stops both.
 */
export async function startDeviceSync(config: DeviceSyncConfig, logger: Logger): Promise<RunningDeviceSync> {
  let retryRunner: ConsumerRunner | undefined;
  let closeParts: () => Promise<void> = async () => {};
  let sink: ReturnType<typeof createDeliverySink> | undefined;
  let producer: ReturnType<typeof createDurableProducer> | undefined;
  let kafka: ReturnType<typeof createKafkaClient> | undefined;
  let serviceRegistry: Registry | undefined;

  const running = await runConsumerService(SERVICE, config, logger, ({ registry }) => {
    serviceRegistry = registry;
    const clickhouse = createClickHouseClient(clickhouseConnection(config, SERVICE), logger);
    const pictures = createPictureStore({ ...objectStoreSettings(config), bucket: config.S3_BUCKET, maxBytes: config.DEVICE_SYNC_MAX_PICTURE_BYTES });
    kafka = createKafkaClient(consumerKafkaSettings(config, `${config.KAFKA_CLIENT_ID}-${SERVICE}-retry`), logger);
    producer = createDurableProducer(kafka, logger, { publishTimeoutMs: config.DEVICE_SYNC_PUBLISH_TIMEOUT_MS, requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS, registry, name: 'face-registrations-retry' });
    const retrySettings = { initialMs: config.DEVICE_SYNC_RETRY_INITIAL_MS, maxMs: config.DEVICE_SYNC_RETRY_MAX_MS };
    sink = createDeliverySink({
      retryTopic: config.KAFKA_TOPIC_FACE_REGISTRATIONS_RETRY,
      policy: targetPolicy(config),
      // Configured addresses win; then the device registry (each box's latest status report).
      directory: useRegistryAddresses(config)
        ? chainedBoxes(
            configuredBoxes(config.DEVICE_SYNC_BOX_ADDRESSES),
            registryBoxes(clickhouse, config.CLICKHOUSE_DATABASE, { apiPort: config.DEVICE_SYNC_BOX_API_PORT, cacheMs: config.DEVICE_SYNC_REGISTRY_CACHE_MS, logger }),
          )
        : configuredBoxes(config.DEVICE_SYNC_BOX_ADDRESSES),
      gate: createBoxGate(config.DEVICE_SYNC_BOX_CONCURRENCY, retrySettings),
      pictures,
      deliveries: clickhouseDeliveries(clickhouse),
      producer,
      box: {
        timeoutMs: config.DEVICE_SYNC_BOX_TIMEOUT_MS,
        username: config.DEVICE_SYNC_BOX_USERNAME,
        password: config.DEVICE_SYNC_BOX_PASSWORD,
        fiqaLevel: config.DEVICE_SYNC_FIQA_LEVEL,
      },
      retry: retrySettings,
      giveUpMs: config.DEVICE_SYNC_GIVE_UP_MS,
      metrics: createDeviceSyncMetrics(registry),
    });
    closeParts = async () => {
      await retryRunner?.stop();
      await producer!.disconnect();
      pictures.close();
      await clickhouse.close();
    };
    return {
      groupId: config.CONSUMER_GROUP_ID,
      topics: [config.KAFKA_TOPIC_FACE_REGISTRATIONS],
      sink,
      readiness: [
        { name: 'clickhouse', check: () => checkClickHouseReady(clickhouse) },
        { name: 'kafka-retry-consumer', check: () => (retryRunner ? retryRunner.checkHealth() : Promise.reject(new Error('retry consumer not created yet'))) },
      ],
      close: () => closeParts(),
    };
  });

  retryRunner = createConsumerRunner({
    kafka: kafka!,
    groupId: `${config.CONSUMER_GROUP_ID}-retry`,
    topics: [config.KAFKA_TOPIC_FACE_REGISTRATIONS_RETRY],
    sink: sink!,
    deadLetter: { producer: producer!, topic: config.KAFKA_TOPIC_DEAD_LETTER },
    metrics: sharedConsumerMetrics(serviceRegistry!),
    logger: logger.child({ consumer: 'retry' }),
    // From the beginning whatever CONSUMER_FROM_BEGINNING says: a parked delivery is never skipped.
    settings: { ...consumerSettings(config), fromBeginning: true },
  });
  const runner = retryRunner;
  // As the skeleton does for its own runner: Kafka may not be up yet; keep trying until stopped.
  void retry(() => runner.start(), {
    initialMs: 500,
    maxMs: 15_000,
    signal: running.shutdown.signal,
    onRetry: (error, _attempt, delay) => logger.warn({ err: error, retryInMs: delay }, 'could not start consuming the retry topic; retrying'),
  }).catch(() => {});
  return { ...running, retryRunner: runner };
}

/**
 * The skeleton registered the consumer metrics in the service's registry already; the retry
 * runner reports into the same series (every one labelled by topic but the paused gauge, which
 * sums). Looked up by the names the kafka package gives them, so a rename there follows.
 */
function sharedConsumerMetrics(registry: Registry): ConsumerMetrics {
  const template = createConsumerMetrics(new Registry());
  const shared: Record<string, unknown> = {};
  for (const [key, metric] of Object.entries(template)) {
    const name = (metric as unknown as { name: string }).name;
    const existing = registry.getSingleMetric(name);
    if (!existing) registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
    shared[key] = existing ?? metric;
  }
  return shared as ConsumerMetrics;
}

/** DEVICE_SYNC_REGISTRY_ADDRESSES, or by default: only while no box credentials would go with a push. */
export function useRegistryAddresses(config: Pick<DeviceSyncConfig, 'DEVICE_SYNC_REGISTRY_ADDRESSES' | 'DEVICE_SYNC_BOX_USERNAME' | 'DEVICE_SYNC_BOX_PASSWORD'>): boolean {
  return config.DEVICE_SYNC_REGISTRY_ADDRESSES ?? (config.DEVICE_SYNC_BOX_USERNAME === '' && config.DEVICE_SYNC_BOX_PASSWORD === '');
}

/**
 * The publish ceiling with another Kafka client: the records of kafka-publish-ceiling.ts, published
 * through @platformatic/kafka (pure JavaScript) instead of kafkajs, to tell what a different client
 * would give behind the same DurableProducer interface. Bench-only: no service depends on it.
 *
 * Same guarantees and the same shape as the gateway's producer (packages/kafka/src/producer.ts):
 * idempotent (which makes the client use acks=all and one request in flight), no compression,
 * murmur2 on the key as Java's and kafkajs' DefaultPartitioner (compatibilityPartitioner), the
 * same coalescing (PublishBatcher: one send at a time, bounded by each topic's max.message.bytes
 * and 8 MiB) and the same refusal of oversized records. Left out: the publish timeout and the
 * replacement of the producer after a failed send, which cost nothing while sends succeed.
 * Same BENCH_* and gateway variables as kafka-publish-ceiling.ts; prints "RESULT <json>".
 */
import { compatibilityPartitioner, Producer, stringSerializer } from '@platformatic/kafka';
import { readTopicLimits, recordTooLarge, type DurableProducer, type ProducerRecord } from '@sophon/kafka';
import { PublishBatcher } from '../../packages/kafka/src/publish-batcher.js';
import { loadGatewayConfig } from '../../services/gateway/src/config.js';
import { ceilingSettings, ceilingUploads, measurePublishCeiling } from './ceiling-records.js';

// @platformatic/kafka 2.x wants Node ≥ 22.22; on Node 20 the one missing piece it calls is Promise.withResolvers.
(Promise as { withResolvers?: unknown }).withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise((onResolve, onReject) => ((resolve = onResolve), (reject = onReject)));
  return { promise, resolve, reject };
};

/** Kafka's own default max.message.bytes, for topics the topic file does not list. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

function createPlatformaticProducer(config: ReturnType<typeof loadGatewayConfig>): DurableProducer {
  const producer = new Producer<string, Buffer, string, string>({
    clientId: config.KAFKA_CLIENT_ID,
    bootstrapBrokers: config.KAFKA_BROKERS,
    idempotent: true,
    acks: -1,
    compression: 'none',
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
    // How long the broker may wait for the in-sync replicas, as the gateway's producer asks.
    timeout: Math.floor(config.KAFKA_REQUEST_TIMEOUT_MS / 2),
    requestTimeout: config.KAFKA_REQUEST_TIMEOUT_MS,
    retries: 5,
    retryDelay: 100,
    // "No producer id yet" as KIP-360 spells it. The client sends 0/0 by default, which Kafka
    // accepts but librdkafka 2.0.2's mock refuses with UNKNOWN_PRODUCER_ID (59).
    producerId: -1n,
    producerEpoch: -1,
    // Values are Buffers already and pass through; keys and header values are strings.
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  const topicLimits = readTopicLimits();
  const topicLimit = (topic: string) => topicLimits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const batches = new PublishBatcher(
    async (records) => void (await producer.send({ messages: records.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })) })),
    { maxBatchBytes: MAX_BATCH_BYTES, topicLimit },
  );
  return {
    async connect() {
      await producer.initIdempotentProducer({});
    },
    tooLarge: (record: ProducerRecord) => recordTooLarge(record, topicLimit),
    async publish(records: ProducerRecord[]) {
      for (const record of records) {
        const error = recordTooLarge(record, topicLimit);
        if (error) throw error;
      }
      await batches.add(records).acknowledged;
    },
    async checkConnection() {
      await producer.metadata({ topics: [] });
    },
    async disconnect() {
      await batches.drained();
      await producer.close();
    },
  };
}

const settings = ceilingSettings();
const config = loadGatewayConfig({ ...process.env, LOG_LEVEL: 'warn', GATEWAY_AUTH: 'open' });
const uploads = ceilingUploads(config, settings);

const producer = createPlatformaticProducer(config);
await producer.connect();
const result = await measurePublishCeiling((records) => producer.publish(records), uploads, settings);
await producer.disconnect();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

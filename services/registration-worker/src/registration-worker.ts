import { checkClickHouseReady, clickhouseConnection, createClickHouseClient } from '@sophon/clickhouse';
import { runConsumerService, type RunningConsumerService } from '@sophon/consumer-service';
import { HEADERS } from '@sophon/event-contract';
import { createDurableProducer, createKafkaClient, type ConsumedMessage } from '@sophon/kafka';
import type { Logger } from '@sophon/logger';
import type { RegistrationWorkerConfig } from './config.js';
import { REGISTRATION_ACTIONS } from './decide.js';
import { createRegistrationMetrics } from './metrics.js';
import { createRegistrationSink } from './registration-sink.js';
import { clickhouseRegistrations } from './registrations-table.js';

export const SERVICE = 'registration-worker';

/** The header pre-filter: every other event is committed past without being parsed. */
export const asksForRegistration = (message: ConsumedMessage): boolean => REGISTRATION_ACTIONS.has(message.headers[HEADERS.wantAction] ?? '');

/** Composes the worker and starts consuming; `shutdown.stop()` leaves the group and closes its clients. */
export function startRegistrationWorker(config: RegistrationWorkerConfig, logger: Logger): Promise<RunningConsumerService> {
  return runConsumerService(SERVICE, config, logger, ({ registry }) => {
    const clickhouse = createClickHouseClient(clickhouseConnection(config, SERVICE), logger);
    const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-${SERVICE}-commands`, requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS }, logger);
    // Not connected here: the first publish connects (and reconnects after an outage), so a
    // Kafka that is down at start-up delays the first batch, not the start.
    const producer = createDurableProducer(kafka, logger, { publishTimeoutMs: config.REGISTRATION_PUBLISH_TIMEOUT_MS, requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS, registry, name: 'face-registrations' });
    return {
      groupId: config.CONSUMER_GROUP_ID,
      topics: [config.KAFKA_TOPIC_HISTORY_EVENTS],
      accepts: asksForRegistration,
      sink: createRegistrationSink({
        registrations: clickhouseRegistrations(clickhouse),
        producer,
        topic: config.KAFKA_TOPIC_FACE_REGISTRATIONS,
        metrics: createRegistrationMetrics(registry),
        policy: { strangerGroup: config.REGISTRATION_STRANGER_GROUP },
      }),
      readiness: [{ name: 'clickhouse', check: () => checkClickHouseReady(clickhouse) }],
      close: async () => {
        await producer.disconnect();
        await clickhouse.close();
      },
    };
  });
}

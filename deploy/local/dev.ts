/**
 * The whole product without Docker, on the test kit's local servers:
 *
 *   pnpm dev          # gateway on :9528, Kafka on 127.0.0.1:19092; Ctrl-C stops everything
 *
 * KAFKA_PORT, GATEWAY_PORT, DEV_TOKEN, LOG_LEVEL and DEVICE_SYNC_BOX_ADDRESSES change its defaults.
 */
import { BUCKET, DATABASE, startLocalStack } from './stack.js';

const stack = await startLocalStack({
  kafkaPort: Number(process.env.KAFKA_PORT ?? 19092),
  gatewayPort: Number(process.env.GATEWAY_PORT ?? 9528),
  token: process.env.DEV_TOKEN ?? 'dev-token',
  logLevel: process.env.LOG_LEVEL ?? 'info',
  // The boxes' API addresses, as device-sync takes them (DEVSNO=host[:port],...).
  boxAddresses: process.env.DEVICE_SYNC_BOX_ADDRESSES,
});

const { services } = stack;
process.stdout.write(
  [
    '',
    `gateway              ${stack.gatewayUrl}/EventServer/api/HistoryEvent?token=${stack.token}`,
    `clickhouse (HTTP)    ${stack.clickhouse.url}  database ${DATABASE}  users: default (no password), ${stack.analyst.user} / ${stack.analyst.password} (read-only)`,
    `s3                   ${stack.s3.url}  bucket ${BUCKET}  keys ${stack.s3.accessKey} / ${stack.s3.secretKey}`,
    `kafka bootstrap      ${stack.kafka.brokers.join(',')}`,
    `ops (health/metrics) gateway ${services.gateway.opsUrl}  image-store ${services['image-store'].opsUrl}  analytics-writer ${services['analytics-writer'].opsUrl}  registration-worker ${services['registration-worker'].opsUrl}  device-sync ${services['device-sync'].opsUrl}`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

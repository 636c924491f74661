/**
 * The gateway's second ceiling: its own producer (createGatewayProducer, the same settings) publishing
 * the records the gateway makes of the benchmark's uploads, built before the clock starts, with
 * as many publishes in flight as the load generator has uploads in flight, and no HTTP in front.
 * Whatever the gateway does more slowly than this is HTTP, parsing and checking.
 * Configured by BENCH_* variables (see ceiling-records.ts) and the gateway's own; prints "RESULT <json>".
 */
import { createLogger } from '@sophon/logger';
import { loadGatewayConfig } from '../../services/gateway/src/config.js';
import { createGatewayProducer } from '../../services/gateway/src/producer.js';
import { ceilingSettings, ceilingUploads, measurePublishCeiling } from './ceiling-records.js';

export type { PublishCeilingResult } from './ceiling-records.js';

const settings = ceilingSettings();
const config = loadGatewayConfig({ ...process.env, LOG_LEVEL: 'warn', GATEWAY_AUTH: 'open' });
const logger = createLogger({ service: 'publish-ceiling', level: 'warn' });
const uploads = ceilingUploads(config, settings);

const producer = createGatewayProducer(config, logger);
await producer.connect();
const result = await measurePublishCeiling((records) => producer.publish(records), uploads, settings);
await producer.disconnect();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

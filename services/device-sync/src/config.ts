import { clickhouseEnv } from '@sophon/clickhouse';
import { ConfigError, env, loadConfig, z } from '@sophon/config';
import { consumerServiceEnv } from '@sophon/consumer-service';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { s3Env } from '@sophon/object-store';
import { parseBoxAddresses } from './box-directory.js';
import { parseSites } from './targets.js';

/** Every device-sync setting, from the environment, validated at start-up. */
export const deviceSyncEnv = {
  ...consumerServiceEnv({ opsPort: 9604 }),
  ...clickhouseEnv,
  CONSUMER_GROUP_ID: env.string('device-sync'),
  KAFKA_TOPIC_FACE_REGISTRATIONS: env.string(DEFAULT_TOPICS.faceRegistrations),
  /** Where deliveries to a box that failed transiently are parked until their not-before time. */
  KAFKA_TOPIC_FACE_REGISTRATIONS_RETRY: env.string(DEFAULT_TOPICS.faceRegistrationsRetry),
  ...s3Env,
  /** source: the box that saw the face. site: every box of the source box's site (DEVICE_SYNC_SITES). list: every box of DEVICE_SYNC_TARGET_BOXES. */
  DEVICE_SYNC_TARGET_POLICY: z.enum(['source', 'site', 'list']).default('source'),
  /** `site=DEV1 DEV2;other=DEV3`: the sites, for the site policy. */
  DEVICE_SYNC_SITES: z.string().default('').transform((value, ctx) => parseOrIssue(() => parseSites(value), ctx)),
  DEVICE_SYNC_TARGET_BOXES: z.string().default('').transform((value) => value.split(',').map((box) => box.trim()).filter(Boolean)),
  /** `DEVSNO=host[:port],...`: box addresses that win over the device registry (port 5555 by default). */
  DEVICE_SYNC_BOX_ADDRESSES: z.string().default('').transform((value, ctx) => parseOrIssue(() => parseBoxAddresses(value), ctx)),
  /**
   * Whether a box DEVICE_SYNC_BOX_ADDRESSES does not name is reached at the IP of its latest status
   * report. Whoever holds a box's token can report any IP, so unset (or empty) it is on only while
   * no box credentials are set: they would go wherever a report points.
   */
  DEVICE_SYNC_REGISTRY_ADDRESSES: z
    .enum(['', 'true', 'false'], { message: 'must be true, false or empty' })
    .default('')
    .transform((value) => (value === '' ? undefined : value === 'true')),
  /** The boxes' API port, for addresses from the device registry (a status report names only the box's IP). */
  DEVICE_SYNC_BOX_API_PORT: env.port(5555),
  /** How long the device registry's addresses are reused before they are read again. */
  DEVICE_SYNC_REGISTRY_CACHE_MS: env.integer(60_000, { min: 0 }),
  /** HTTP basic credentials of the boxes' API, when a site sets them; never logged. */
  DEVICE_SYNC_BOX_USERNAME: z.string().default(''),
  DEVICE_SYNC_BOX_PASSWORD: z.string().default(''),
  /** The box's own quality check on the pushed face (high, middle, low, custom, no); unset: the box's default. */
  DEVICE_SYNC_FIQA_LEVEL: z.enum(['', 'high', 'middle', 'low', 'custom', 'no']).default(''),
  /** A create-person request not answered by then counts as unreachable (retried later). */
  DEVICE_SYNC_BOX_TIMEOUT_MS: env.integer(10_000, { min: 100 }),
  /** Requests in flight to one box at a time, across every partition being consumed. */
  DEVICE_SYNC_BOX_CONCURRENCY: env.integer(2, { min: 1, max: 64 }),
  /** Backoff of parked deliveries (and of probing a box that failed): also bounds how long a retry batch waits. */
  DEVICE_SYNC_RETRY_INITIAL_MS: env.integer(2_000, { min: 10 }),
  DEVICE_SYNC_RETRY_MAX_MS: env.integer(60_000, { min: 10 }),
  /** A delivery still failing transiently this long after its first attempt is dead-lettered (gave_up). */
  DEVICE_SYNC_GIVE_UP_MS: env.integer(7 * 24 * 3_600_000, { min: 1_000 }),
  /** Larger face pictures are refused (dead-lettered) before they are read into memory. */
  DEVICE_SYNC_MAX_PICTURE_BYTES: env.integer(3 * 1024 * 1024, { min: 1024 }),
  DEVICE_SYNC_PUBLISH_TIMEOUT_MS: env.integer(10_000, { min: 100 }),
};

function parseOrIssue<T>(parse: () => T, ctx: z.RefinementCtx): T {
  try {
    return parse();
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
}

export type DeviceSyncConfig = ReturnType<typeof loadDeviceSyncConfig>;

export function loadDeviceSyncConfig(source: Record<string, string | undefined> = process.env) {
  const config = loadConfig(deviceSyncEnv, source);
  if (config.DEVICE_SYNC_TARGET_POLICY === 'list' && config.DEVICE_SYNC_TARGET_BOXES.length === 0) {
    throw new ConfigError(['DEVICE_SYNC_TARGET_BOXES: must name at least one box when DEVICE_SYNC_TARGET_POLICY=list']);
  }
  if (config.DEVICE_SYNC_RETRY_MAX_MS < config.DEVICE_SYNC_RETRY_INITIAL_MS) {
    throw new ConfigError(['DEVICE_SYNC_RETRY_MAX_MS: must be at least DEVICE_SYNC_RETRY_INITIAL_MS']);
  }
  return config;
}

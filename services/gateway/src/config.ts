import { isIP } from 'node:net';
import { env, kafkaEnv, loadConfig, loggingEnv, opsEnv, z } from '@sophon/config';

const MiB = 1024 * 1024;

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** An IP address or a host name: what a listener binds to or a port is published on. */
const address = () => z.string().refine((value) => isIP(value) !== 0 || HOSTNAME.test(value), 'must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name');

/**
 * A literal URL path a box can be configured with: no query, no express route syntax (":", "*",
 * "(", "?", "+" would turn it into a pattern), no trailing slash (routes are strict).
 */
const URL_PATH = /^(\/[A-Za-z0-9._~%!$&'=@,;-]+)+$/;
const pathList = () =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(URL_PATH, 'each path must be a literal URL path such as /sophon/DeviceStatus (letters, digits, "._~-"; no query, pattern characters or trailing slash)')))
    .default([]);

/** Every gateway setting, from the environment, validated at start-up (README lists them). */
export const gatewayEnv = {
  ...loggingEnv,
  ...kafkaEnv,
  ...opsEnv,
  GATEWAY_PORT: env.port(9528),
  /** Interface the gateway (uploads and /healthz, /metrics) listens on; unset: OPS_HOST. */
  GATEWAY_HOST: address().optional(),
  /**
   * Where clients reach the gateway when that is not where it listens: in a container it listens
   * on 0.0.0.0 and compose publishes the port on this host address. Judges exposure, below.
   */
  GATEWAY_PUBLISH_ADDRESS: address().optional(),
  /** A wildcard token (token:*) or GATEWAY_AUTH=open on a non-loopback address needs this set to true. */
  GATEWAY_ALLOW_WILDCARD_ON_LAN: env.boolean(false),
  /** "tokens" (default): every request needs a device token. "open": no auth; for a closed lab network only. */
  GATEWAY_AUTH: z.enum(['tokens', 'open']).default('tokens'),
  /** token:dev_sno pairs, comma-separated; dev_sno "*" lets the token post for any device. */
  GATEWAY_DEVICE_TOKENS: z.string().optional(),
  /** A file with one "token dev_sno" pair per line (for secrets mounted as files). */
  GATEWAY_DEVICE_TOKENS_FILE: z.string().optional(),
  /** A batch of 100 full events (0.3-0.8 MB each, base64 included) fits. */
  GATEWAY_MAX_BODY_BYTES: env.integer(100 * MiB, { min: 1024 }),
  /**
   * Paths, besides /DeviceStatus and /EventServer/api/DeviceStatus, that take the boxes' status
   * reports (comma-separated): a V6R2C01 box posts to whatever MEDIA_DEVICE_MONITOR_URL says.
   */
  GATEWAY_DEVICE_STATUS_PATHS: pathList(),
  GATEWAY_MAX_PICTURE_BYTES: env.integer(3 * MiB, { min: 1024 }),
  GATEWAY_MAX_EVENTS_PER_REQUEST: env.integer(100, { min: 1, max: 10_000 }),
  GATEWAY_MAX_JSON_DEPTH: env.integer(32, { min: 4, max: 1000 }),
  /** Request bodies held at once; past it new requests get 503 at once, so memory stays bounded. */
  GATEWAY_MAX_INFLIGHT_BYTES: env.integer(256 * MiB, { min: MiB }),
  /**
   * Of those, what one client (a box; an address for a wildcard token) may hold. Unset: the larger
   * of GATEWAY_MAX_BODY_BYTES and a quarter of GATEWAY_MAX_INFLIGHT_BYTES.
   */
  GATEWAY_MAX_INFLIGHT_BYTES_PER_CLIENT: z.coerce.number().int().min(1024).optional(),
  /** Per device: events allowed per window, and the window. */
  GATEWAY_RATE_LIMIT_EVENTS: env.integer(1000, { min: 1 }),
  /**
   * Per token (per box; per client address for a wildcard token), checked before the body is read.
   * As many as the event limit: a box's every request carries an event, so only a client that the
   * event limit would refuse anyway (after reading its body) is refused here, cheaply.
   */
  GATEWAY_RATE_LIMIT_REQUESTS: env.integer(1000, { min: 1 }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: env.integer(10, { min: 1 }),
  GATEWAY_PUBLISH_TIMEOUT_MS: env.integer(10_000, { min: 100 }),
  /** Seconds a device is told to wait (Retry-After) when Kafka cannot take events. */
  GATEWAY_RETRY_AFTER_SECONDS: env.integer(20, { min: 1 }),
  GATEWAY_SHUTDOWN_TIMEOUT_MS: env.integer(30_000, { min: 1000 }),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(gatewayEnv, source);
}

import { createDeviceStatusAdapter, createHistoryEventAdapter, type UploadAdapter } from '@sophon/event-contract';
import type { UploadRoute } from './app.js';
import type { GatewayConfig } from './config.js';
import { createUploadHandler, type IngestDeps } from './ingest/handle-upload.js';

/** Every kind publishes to topics of its own choosing; what its adapter refuses goes to `quarantine`. */
export interface UploadTopics {
  quarantine: string;
}

/**
 * One kind of upload a box posts: the paths it is posted to, the topics it ends up in and the
 * adapter that turns it into their messages. The gateway knows no kind by name, only this list.
 */
export interface UploadKind<T extends UploadTopics = UploadTopics> {
  /** The exact paths a box may be configured with (case and trailing slash count). */
  readonly paths: readonly string[];
  /** Paths the operator adds in the configuration (a receiver URL the box's firmware lets one choose freely). */
  configuredPaths?(config: GatewayConfig): readonly string[];
  topics(config: GatewayConfig): T;
  createAdapter(topics: T, config: GatewayConfig): UploadAdapter;
}

/** Keeps a kind's own topic type between its two functions while the list holds every kind. */
function uploadKind<T extends UploadTopics>(kind: UploadKind<T>): UploadKind {
  return kind;
}

/** A new kind of upload (the box's /DeviceStatus report, another firmware's format) is one entry here. */
export const UPLOAD_KINDS: readonly UploadKind[] = [
  uploadKind({
    // The box's configurable receiver URL, and the path of the receiver that ships with the box.
    paths: ['/EventServer/api/HistoryEvent', '/HistoryEvent'],
    topics: (config) => ({
      historyEvents: config.KAFKA_TOPIC_HISTORY_EVENTS,
      eventImages: config.KAFKA_TOPIC_EVENT_IMAGES,
      quarantine: config.KAFKA_TOPIC_QUARANTINE,
    }),
    createAdapter: (topics, config) => createHistoryEventAdapter({ topics, maxPictureBytes: config.GATEWAY_MAX_PICTURE_BYTES }),
  }),
  uploadKind({
    // The box's periodic status report: the path of the receiver that ships with the box, the same
    // under /EventServer/api, and any the operator set as V6R2C01's MEDIA_DEVICE_MONITOR_URL.
    paths: ['/DeviceStatus', '/EventServer/api/DeviceStatus'],
    configuredPaths: (config) => config.GATEWAY_DEVICE_STATUS_PATHS,
    topics: (config) => ({ deviceStatus: config.KAFKA_TOPIC_DEVICE_STATUS, quarantine: config.KAFKA_TOPIC_QUARANTINE }),
    createAdapter: (topics) => createDeviceStatusAdapter({ topics }),
  }),
];

/** What every kind's handler shares: one producer, one per-device event budget, one set of limits. */
export type SharedIngestDeps = Omit<IngestDeps, 'adapter' | 'quarantineTopic'>;

/** The routes for `kinds`, each with its own adapter and quarantine topic. */
export function createUploadRoutes(config: GatewayConfig, shared: SharedIngestDeps, kinds: readonly UploadKind[] = UPLOAD_KINDS): UploadRoute[] {
  return kinds.map((kind) => {
    const topics = kind.topics(config);
    const handle = createUploadHandler({ ...shared, adapter: kind.createAdapter(topics, config), quarantineTopic: topics.quarantine });
    // A configured path that repeats a fixed one is the same route; one claimed by another kind is refused by the app.
    const paths = [...new Set([...kind.paths, ...(kind.configuredPaths?.(config) ?? [])])];
    return { paths, handle };
  });
}

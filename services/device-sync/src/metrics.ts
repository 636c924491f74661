import { Counter, Histogram, type Registry } from '@sophon/ops-http';

export type DeviceSyncMetrics = ReturnType<typeof createDeviceSyncMetrics>;

export function createDeviceSyncMetrics(registry: Registry) {
  const registers = [registry];
  return {
    deliveries: new Counter({
      name: 'device_sync_deliveries_total',
      help: 'Delivery attempts of a registration to one box, by outcome (pushed, already_present, refused, unreachable, no_address, picture_missing, gave_up)',
      labelNames: ['outcome'],
      registers,
    }),
    alreadyDelivered: new Counter({
      name: 'device_sync_already_delivered_total',
      help: 'Deliveries skipped because the box already holds the registration (replays, redelivered commands)',
      registers,
    }),
    parked: new Counter({ name: 'device_sync_parked_total', help: 'Deliveries parked on the retry topic, to be tried again later', registers }),
    unconfirmedPushes: new Counter({
      name: 'device_sync_unconfirmed_pushes_total',
      help: 'Pushes answered 2xx without the box\'s {"data": ...} (a proxy or captive portal at the address?): recorded as pushed, the answer quoted in the row',
      registers,
    }),
    boxRequestSeconds: new Histogram({
      name: 'device_sync_box_request_seconds',
      help: 'Duration of create-person requests to boxes, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

import { Counter, Gauge, Histogram, type Registry } from '@sophon/ops-http';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'gateway_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['route', 'status'], registers }),
    events: new Counter({ name: 'gateway_events_total', help: 'Events received, by outcome (accepted, rejected) and reason', labelNames: ['outcome', 'reason'], registers }),
    requestBytes: new Counter({ name: 'gateway_request_body_bytes_total', help: 'Request body bytes read', registers }),
    publishedBytes: new Counter({ name: 'gateway_published_bytes_total', help: 'Bytes of message values published to Kafka (pictures as raw bytes)', registers }),
    publishSeconds: new Histogram({
      name: 'gateway_kafka_publish_seconds',
      help: 'Time from publish to Kafka acknowledgement (acks=all), by result',
      labelNames: ['result'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inflightRequests: new Gauge({ name: 'gateway_inflight_requests', help: 'Requests being handled', registers }),
    inflightBytes: new Gauge({ name: 'gateway_inflight_bytes', help: 'Request body bytes admitted and not yet answered', registers }),
  };
}

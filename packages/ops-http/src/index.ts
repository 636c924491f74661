export { createMetricsRegistry, Counter, Gauge, Histogram, Registry } from './metrics.js';
export { opsRoutes, type OpsRoutesOptions, type ReadinessCheck } from './ops-router.js';
export { startOpsServer } from './ops-server.js';

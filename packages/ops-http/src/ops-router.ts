import { Router } from 'express';
import type { Registry } from 'prom-client';

/** A dependency the service needs before it can take work (Kafka, ClickHouse, S3...). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<void>;
}

export interface OpsRoutesOptions {
  registry: Registry;
  checks: ReadinessCheck[];
  /** A check that has not answered by then counts as failed. */
  checkTimeoutMs?: number;
  /** False once shutdown began: the service stops taking new work, so it is not ready. */
  isAccepting?: () => boolean;
}

/**
 * GET /healthz: the process is alive (never touches dependencies, so a slow Kafka
 * does not get the container restarted). GET /readyz: every dependency answered.
 * GET /metrics: Prometheus text format.
 */
export function opsRoutes({ registry, checks, checkTimeoutMs = 2000, isAccepting = () => true }: OpsRoutesOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), checkTimeoutMs, `${name} did not answer within ${checkTimeoutMs} ms`);
          return { name, ok: true as const };
        } catch (error) {
          return { name, ok: false as const, error: (error as Error).message };
        }
      }),
    );
    const accepting = isAccepting();
    const ready = accepting && results.every((result) => result.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', accepting, checks: results });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

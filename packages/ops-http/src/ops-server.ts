import type { Server } from 'node:http';
import express from 'express';
import { opsRoutes, type OpsRoutesOptions } from './ops-router.js';

/** For services without an HTTP API of their own (the consumers): the ops routes on a port of their own. */
export async function startOpsServer(options: OpsRoutesOptions & { host: string; port: number }): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(opsRoutes(options));
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host, () => resolve(server));
    server.once('error', reject);
  });
}

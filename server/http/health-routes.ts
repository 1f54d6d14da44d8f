// GET /healthz: 200 while at least one mediasoup worker is alive, else 503.
import type { FastifyPluginAsync } from 'fastify';
import type { HealthResponse } from '../../protocol/health.js';

export interface HealthRoutesOptions {
  version: string;
  workersAlive: () => number;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, options) => {
  app.get('/healthz', (_request, reply) => {
    const workers = options.workersAlive();
    const body: HealthResponse = {
      status: workers > 0 ? 'ok' : 'unavailable',
      version: options.version,
      mediasoup: { workers },
    };
    return reply
      .code(workers > 0 ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });
  return Promise.resolve();
};

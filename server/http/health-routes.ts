// GET /healthz: 200 while at least one mediasoup worker is alive (or the node
// is signaling-only, with none configured), else 503.
import type { FastifyPluginAsync } from 'fastify';
import type { HealthResponse } from '../../protocol/health.js';

export interface HealthRoutesOptions {
  version: string;
  workersAlive: () => number;
  /** Workers configured (0: a signaling-only node). */
  workersConfigured: number;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, options) => {
  app.get('/healthz', (_request, reply) => {
    const workers = options.workersAlive();
    const healthy = workers > 0 || options.workersConfigured === 0;
    const body: HealthResponse = {
      status: healthy ? 'ok' : 'unavailable',
      version: options.version,
      mediasoup: { workers },
    };
    return reply
      .code(healthy ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });
  return Promise.resolve();
};

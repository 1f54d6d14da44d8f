// GET /metrics: Prometheus text exposition, only to the addresses METRICS_ALLOW
// names (loopback by default): the numbers describe load and peers an outsider
// has no business watching.
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';

export interface MetricsRoutesOptions {
  registry: Registry;
  /** Addresses, subnets or proxy-addr's names (loopback, linklocal, uniquelocal). */
  allow: string[];
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = (
  app,
  { registry, allow },
) => {
  const allowed = proxyAddr.compile(allow);
  // request.ip, not the socket's address: behind a trusted proxy every request
  // arrives from the proxy (often loopback), and the client is what counts.
  app.addHook('onRequest', (request, _reply, done) => {
    done(
      allowed(request.ip, 0)
        ? undefined
        : new RequestError(ErrorCode.Forbidden, 'metrics are served only to METRICS_ALLOW'),
    );
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
  return Promise.resolve();
};

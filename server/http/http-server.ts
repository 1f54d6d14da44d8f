// The HTTP server, before any route: Fastify over Node's server with request
// deadlines and a cap per address (connection-guard.ts), cookies, the app's
// error shape (http-errors.ts) and what every request passes (web-guards.ts).
// The routes come after (http-api.ts); Socket.IO attaches to `http.server`.
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HttpConfig } from '../http-config.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { connectionGuard, type ConnectionGuard } from './connection-guard.js';
import { frameworkErrors, installErrorHandler } from './http-errors.js';
import { installWebGuards } from './web-guards.js';

export interface HttpServer {
  http: FastifyInstance;
  /** The connection caps, which the Socket.IO handshake must pass too. */
  guard: ConnectionGuard;
  /** The origin the pages are served from (PUBLIC_URL's). */
  publicOrigin: string;
}

export async function createHttpServer(
  config: HttpConfig & { publicUrl: string },
  limits: RateLimits,
  logger: Logger,
): Promise<HttpServer> {
  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  // Node's HTTP server with request deadlines and a cap per address (ADR 011's
  // uploads are the slowest legitimate requests).
  const guard = connectionGuard({
    idleTimeoutMs: config.httpIdleTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    trustProxy: config.trustProxy,
    logger: logger.child({ component: 'http' }),
  });
  const http = Fastify({
    loggerInstance: httpLogger,
    serverFactory: guard.serverFactory,
    clientErrorHandler: guard.clientErrorHandler,
    bodyLimit: 64 * 1024,
    // Behind a TLS proxy every request comes from the proxy: rate limits must
    // key on the client address the proxy reports.
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
    // Errors raised before routing (a malformed URL) in the app's own shape.
    frameworkErrors,
  });
  // JSON only: a text/plain body is a "simple" cross-site request (CSRF).
  http.removeContentTypeParser('text/plain');
  await http.register(fastifyCookie);
  installErrorHandler(http);
  // Before any route: headers, the same-origin check, link lookup limits.
  const publicOrigin = new URL(config.publicUrl).origin;
  installWebGuards(http, { publicOrigin, limits });
  return { http, guard, publicOrigin };
}

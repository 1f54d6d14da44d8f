// The part of the HTTP API that needs a logged-in account: one encapsulated
// Fastify plugin whose onRequest hook resolves the session cookie to the
// account, or refuses the request, before any route inside it runs. A route
// inside reads `request.accountId`; a route outside (sign-up, log-in, reply
// pages, badges, health) never sees it and never needs it. Where a route
// is registered decides whether it needs a session, not a call in its handler
// that a new route could forget (test/http/authenticated-routes.test.ts walks
// the route table).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import type { SessionStore } from '../store/session-store.js';
import { sessionAccount } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The logged-in account, set by the authenticated scope before its routes
     * run. Declaration merging types it on every request; only routes
     * registered inside `authenticatedScope` have it (elsewhere: undefined).
     */
    accountId: number;
  }
}

export interface AuthenticatedScopeOptions {
  sessions: SessionStore;
  /** Registers the routes that need an account, inside the scope. */
  routes: (scope: FastifyInstance) => Promise<void>;
}

export const authenticatedScope: FastifyPluginAsync<AuthenticatedScopeOptions> = async (
  scope,
  { sessions, routes },
) => {
  // A number, so requests keep one shape (Fastify's decorator advice); the
  // hook sets it or refuses, so no handler sees this placeholder.
  scope.decorateRequest('accountId', 0);
  // onRequest, before the body is read or parsed: a stranger's request costs
  // one session lookup, and is refused alike whatever its body. The app-wide
  // hooks (headers, the same-origin check: web-guards.ts) run before this one.
  scope.addHook('onRequest', async (request) => {
    const accountId = await sessionAccount(request, sessions);
    if (accountId === undefined) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    request.accountId = accountId;
  });
  await routes(scope);
};

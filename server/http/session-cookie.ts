// The login session cookie: HttpOnly, SameSite=Lax (no cross-site POSTs carry
// it), Secure when the public URL is https.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_LIFETIME_MS, type SessionStore } from '../store/session-store.js';

export const SESSION_COOKIE = 'voxreply_session';

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/**
 * The account whose live session the request's cookie names, or undefined (no
 * cookie, an unknown or expired session). No refusal: the routes that need an
 * account get it from the authenticated scope (authenticated-scope.ts); the few
 * public routes that only answer differently for a logged-in person ask here.
 */
export async function sessionAccount(
  request: FastifyRequest,
  sessions: SessionStore,
): Promise<number | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  return token ? sessions.accountFor(token) : undefined;
}

// The login session cookie: HttpOnly, SameSite=Lax (no cross-site POSTs carry
// it), Secure when the public URL is https.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../realtime/validated-handler.js';
import { hashToken } from '../security/tokens.js';
import { SESSION_LIFETIME_MS, type SessionStore } from '../store/session-store.js';

export const SESSION_COOKIE = 'voxreply_session';

/** The Socket.IO room of the sockets opened with one session (by its hash). */
export const sessionChannel = (token: string): string => `session:${hashToken(token)}`;

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

export async function accountOf(request: FastifyRequest, sessions: SessionStore): Promise<number> {
  const token = request.cookies[SESSION_COOKIE];
  const accountId = token ? await sessions.accountFor(token) : undefined;
  if (accountId === undefined) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
  return accountId;
}

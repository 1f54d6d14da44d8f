// The logged-in account's security (authenticated scope): change the password,
// list the sessions and log one or all others out, delete the account (ADR 025).
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import {
  changePasswordSchema,
  deleteAccountSchema,
  endOtherSessionsSchema,
  sessionIdParams,
  type SessionView,
  type SessionsEnded,
} from '../../protocol/account-security.js';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { hashPassword } from '../security/password.js';
import { matchPassword } from '../security/password-checks.js';
import { passwordWeakness } from '../security/password-strength.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { AccountStore } from '../store/account-store.js';
import type { DeletedAccount } from '../store/account-deletion.js';
import type { PasswordResetStore } from '../store/password-reset-store.js';
import { SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import { tooManyAtOnce } from './password-routes.js';
import { SESSION_COOKIE, clearSessionCookie } from './session-cookie.js';

export interface AccountSecurityRoutesOptions {
  accounts: AccountStore;
  sessions: SessionStore;
  resetTokens: PasswordResetStore;
  limits: RateLimits;
  /** Deletes the account's data in one transaction (account-deletion.ts) and its files. */
  deleteAccount: (accountId: number) => Promise<DeletedAccount | undefined>;
  /** Told which sessions ended, so their open sockets close. */
  onSessionsEnded: (sessionIds: string[]) => void;
}

export const accountSecurityRoutes: FastifyPluginAsync<AccountSecurityRoutesOptions> = (
  app,
  options,
) => {
  const { accounts, sessions, limits } = options;
  /** The id of the session the request came with (the scope let it in: it has one). */
  const currentId = (cookies: Record<string, string | undefined>): string =>
    SessionStore.idOf(cookies[SESSION_COOKIE] ?? '');

  app.post('/api/me/password', async (request): Promise<SessionsEnded> => {
    await limits.take(limits.logInPerIp, request.ip);
    const body = parseBody(changePasswordSchema, request.body);
    const account = await accounts.findById(request.accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    const weakness = passwordWeakness(body.newPassword, [
      account.email,
      ...account.displayName.split(/\s+/),
    ]);
    if (weakness) throw new RequestError(ErrorCode.WeakPassword, weakness);
    const passwordHash = await limits.passwordChecks
      .run(request.ip, async () => {
        if (!(await matchPassword(body.currentPassword, [account]))) return undefined;
        return hashPassword(body.newPassword);
      })
      .catch(tooManyAtOnce);
    if (passwordHash === undefined)
      throw new RequestError(ErrorCode.WrongPassword, 'The current password is wrong.');
    await accounts.setPassword(account.id, passwordHash);
    await options.resetTokens.forgetAccount(account.id);
    const ended = await sessions.deleteAll(account.id, currentId(request.cookies));
    options.onSessionsEnded(ended);
    request.log.info({ accountId: account.id, sessionsEnded: ended.length }, 'password changed');
    return { ended: ended.length };
  });

  app.get('/api/me/sessions', async (request): Promise<SessionView[]> => {
    const current = currentId(request.cookies);
    return (await sessions.list(request.accountId)).map((session) => ({
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastSeenAt: session.lastSeenAt?.toISOString() ?? null,
      userAgent: session.userAgent,
      clientAddress: session.clientAddress,
      current: session.id === current,
    }));
  });

  app.delete('/api/me/sessions/:id', async (request, reply) => {
    const { id } = parseBody(sessionIdParams, request.params);
    if (!(await sessions.deleteById(request.accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such session');
    options.onSessionsEnded([id]);
    if (id === currentId(request.cookies)) clearSessionCookie(reply);
    request.log.info({ accountId: request.accountId }, 'session logged out from the list');
    return reply.code(204).send();
  });

  app.post('/api/me/sessions/end-others', async (request): Promise<SessionsEnded> => {
    parseBody(endOtherSessionsSchema, request.body ?? {});
    const ended = await sessions.deleteAll(request.accountId, currentId(request.cookies));
    options.onSessionsEnded(ended);
    request.log.info({ accountId: request.accountId, ended: ended.length }, 'other sessions ended');
    return { ended: ended.length };
  });

  // Confirmed by typing the account's address (compared as addresses are
  // stored: trimmed, lower-case); nothing else is asked.
  app.delete('/api/me', async (request, reply) => {
    const { email } = parseBody(deleteAccountSchema, request.body);
    const account = await accounts.findById(request.accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    if (email.trim().toLowerCase() !== account.email)
      throw new RequestError(
        ErrorCode.BadRequest,
        'Type the address of this account exactly to delete it.',
      );
    const deleted = await options.deleteAccount(account.id);
    if (!deleted) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    options.onSessionsEnded(deleted.sessionIds);
    clearSessionCookie(reply);
    request.log.info(
      { accountId: account.id, voicemails: deleted.voicemailIds.length },
      'account deleted',
    );
    return reply.code(204).send();
  });

  return Promise.resolve();
};

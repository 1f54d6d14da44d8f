// Sign up, log in, log out, the current account and its settings.
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import {
  logInSchema,
  signUpSchema,
  updateSettingsSchema,
  type Me,
  type MyReply,
} from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { LinkService } from '../links/link-service.js';
import { linkUsable, type LinkStore } from '../store/link-store.js';
import { RequestError } from '../realtime/validated-handler.js';
import { hashPassword, verifyPassword } from '../security/password.js';
import type { RateLimits } from '../security/rate-limits.js';
import { EmailTakenError, type Account, type AccountStore } from '../store/account-store.js';
import type { SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import {
  SESSION_COOKIE,
  accountOf,
  clearSessionCookie,
  setSessionCookie,
} from './session-cookie.js';

export interface AccountRoutesOptions {
  accounts: AccountStore;
  sessions: SessionStore;
  links: LinkService;
  linkStore: LinkStore;
  limits: RateLimits;
  secureCookies: boolean;
  /** Told when settings change, so live views (status, devices) refresh. */
  onSettingsChanged: (accountId: number) => void;
  /** Told when a session ends, so its open sockets close. */
  onLogout: (sessionToken: string) => void;
}

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = (app, options) => {
  const { accounts, sessions, limits } = options;

  app.post('/api/signup', async (request, reply) => {
    await limits.take(limits.signUpPerIp, request.ip);
    const body = parseBody(signUpSchema, request.body);
    let account: Account;
    try {
      account = await accounts.create({
        email: body.email,
        displayName: body.name,
        passwordHash: await hashPassword(body.password),
      });
    } catch (error) {
      if (error instanceof EmailTakenError)
        throw new RequestError(ErrorCode.Conflict, 'an account with this email already exists');
      throw error;
    }
    await options.links.createSignature(account.id);
    // Holding a link the relay mailed to this address proves the person reads its
    // mail. Not a link a sender made by hand: its creator holds the token too.
    if (body.fromLink) {
      const link = await options.linkStore.findByToken(body.fromLink);
      if (
        link?.kind === 'recipient' &&
        link.messageKey !== null &&
        linkUsable(link) &&
        link.recipientEmail === account.email
      ) {
        await accounts.markEmailVerified(account.id);
        account.emailVerifiedAt = new Date();
      }
    }
    setSessionCookie(reply, await sessions.create(account.id), options.secureCookies);
    return reply.code(201).send(me(account));
  });

  app.post('/api/login', async (request, reply) => {
    await limits.take(limits.logInPerIp, request.ip);
    const body = parseBody(logInSchema, request.body);
    const account = await accounts.findByEmail(body.email);
    // Same answer for an unknown email and a wrong password.
    if (!account || !(await verifyPassword(body.password, account.passwordHash))) {
      throw new RequestError(ErrorCode.Unauthorized, 'wrong email or password');
    }
    setSessionCookie(reply, await sessions.create(account.id), options.secureCookies);
    return me(account);
  });

  app.post('/api/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) {
      await sessions.delete(token);
      options.onLogout(token);
    }
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  app.get('/api/me', async (request) => {
    const account = await accounts.findById(await accountOf(request, sessions));
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    return me(account);
  });

  // The calls this person made as a recipient: only once their address is confirmed.
  app.get('/api/me/replies', async (request): Promise<MyReply[]> => {
    const account = await accounts.findById(await accountOf(request, sessions));
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    return account.emailVerifiedAt ? accounts.repliesTo(account.email) : [];
  });

  // For the desk app's first look: 200 either way, so logging out is not an error.
  app.get('/api/session', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    const accountId = token ? await sessions.accountFor(token) : undefined;
    const account = accountId === undefined ? undefined : await accounts.findById(accountId);
    return { me: account ? me(account) : null };
  });

  app.patch('/api/me/settings', async (request) => {
    const accountId = await accountOf(request, sessions);
    const change = parseBody(updateSettingsSchema, request.body);
    const account = await accounts.updateSettings(accountId, change);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    options.onSettingsChanged(accountId);
    return me(account);
  });

  return Promise.resolve();
};

function me(account: Account): Me {
  return {
    id: account.id,
    name: account.displayName,
    email: account.email,
    emailConfirmed: account.emailVerifiedAt !== null,
    settings: account.settings,
  };
}

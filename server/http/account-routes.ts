// Sign up, log in, log out, the current account and its settings.
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import {
  confirmEmailSchema,
  logInSchema,
  signUpSchema,
  updateSettingsSchema,
  type Me,
  type MyReply,
} from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { LinkService } from '../links/link-service.js';
import { RequestError } from '../realtime/validated-handler.js';
import type { AddressConfirmations } from '../security/address-confirmation.js';
import { hashPassword } from '../security/password.js';
import { matchPassword, TooManyChecksError } from '../security/password-checks.js';
import { passwordWeakness } from '../security/password-strength.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { Account, AccountStore } from '../store/account-store.js';
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
  limits: RateLimits;
  /** Mails confirmation codes and takes them back. */
  confirmations: AddressConfirmations;
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
    const weakness = passwordWeakness(body.password, [body.email, ...body.name.split(/\s+/)]);
    if (weakness) throw new RequestError(ErrorCode.WeakPassword, weakness);
    // A taken address is no refusal: the answer (and its work) must not tell a
    // stranger that it has an account. The new account starts unconfirmed and
    // sees nothing of the address's mail until the code mailed there comes back.
    const passwordHash = await limits.passwordChecks
      .run(request.ip, () => hashPassword(body.password))
      .catch(tooManyAtOnce);
    const account = await accounts.register({
      email: body.email,
      displayName: body.name,
      passwordHash,
    });
    await options.links.createSignature(account.id);
    options.confirmations.request(account);
    request.log.info({ accountId: account.id }, 'account created');
    setSessionCookie(reply, await sessions.create(account.id), options.secureCookies);
    return reply.code(201).send(me(account));
  });

  // The link in the confirmation email lands on the desk app, which posts its code here.
  app.post('/api/confirm', async (request) => {
    await limits.take(limits.logInPerIp, request.ip);
    const { code } = parseBody(confirmEmailSchema, request.body);
    const account = await options.confirmations.confirm(code);
    if (!account)
      throw new RequestError(
        ErrorCode.BadRequest,
        'This confirmation code is unknown, already used or expired. Sign up again for a new one.',
      );
    return me(account);
  });

  app.post('/api/login', async (request, reply) => {
    await limits.take(limits.logInPerIp, request.ip);
    const body = parseBody(logInSchema, request.body);
    // Same answer and the same scrypt work for an unknown email and a wrong password.
    const account = await limits.passwordChecks
      .run(request.ip, async () =>
        matchPassword(body.password, await accounts.loginCandidates(body.email)),
      )
      .catch(tooManyAtOnce);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'wrong email or password');
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

/** A client with its share of password checks in flight is told to slow down. */
function tooManyAtOnce(error: unknown): never {
  if (error instanceof TooManyChecksError)
    throw new RequestError(ErrorCode.RateLimited, 'too many log-ins at once; try again shortly');
  throw error;
}

function me(account: Account): Me {
  return {
    id: account.id,
    name: account.displayName,
    email: account.email,
    emailConfirmed: account.emailVerifiedAt !== null,
    settings: account.settings,
  };
}

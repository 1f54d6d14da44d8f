// Sign up, log in, log out (public), and the logged-in account: itself, its
// settings, its replies, another confirmation mail (in the authenticated scope).
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  confirmEmailSchema,
  logInSchema,
  resendConfirmationSchema,
  type ConfirmationSent,
  signUpSchema,
  updateSettingsSchema,
  type Me,
  type MyReply,
} from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { LinkService } from '../links/link-service.js';
import { RequestError } from '../errors.js';
import {
  CONFIRMATION_MAILS_PER_DAY,
  type AddressConfirmations,
} from '../security/address-confirmation.js';
import { hashPassword } from '../security/password.js';
import { matchPassword, TooManyChecksError } from '../security/password-checks.js';
import { passwordWeakness } from '../security/password-strength.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { Account, AccountStore } from '../store/account-store.js';
import type { SessionOrigin, SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import {
  SESSION_COOKIE,
  clearSessionCookie,
  sessionAccount,
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
  /** Told when a session ends, so its open sockets close. */
  onLogout: (sessionToken: string) => void;
}

export interface MyAccountRoutesOptions {
  accounts: AccountStore;
  confirmations: AddressConfirmations;
  /** Told when settings change, so live views (status, devices) refresh. */
  onSettingsChanged: (accountId: number) => void;
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
    setSessionCookie(
      reply,
      await sessions.create(account.id, new Date(), originOf(request)),
      options.secureCookies,
    );
    return reply.code(201).send(me(account));
  });

  // The link in the confirmation email lands on the desk app, which posts its
  // code here. The code proves the mailbox; the session (or password) proves
  // the account: the mail a stranger's sign-up caused lands in the owner's
  // inbox, and the owner clicking it must not confirm the stranger's account.
  app.post('/api/confirm', async (request, reply) => {
    await limits.take(limits.logInPerIp, request.ip);
    const { code, password } = parseBody(confirmEmailSchema, request.body);
    // Optional here (the password may stand for it): not in the authenticated scope.
    let accountId = await sessionAccount(request, sessions);
    let signedIn = false;
    const issuedTo = await options.confirmations.issuedTo(code);
    if (issuedTo !== undefined && issuedTo !== accountId && password !== undefined) {
      // Opened in another browser: the account's password stands for its session.
      const owner = await accounts.findById(issuedTo);
      const match = await limits.passwordChecks
        .run(request.ip, () => matchPassword(password, owner ? [owner] : []))
        .catch(tooManyAtOnce);
      if (match) {
        accountId = match.id;
        signedIn = true;
      }
    }
    const outcome = await options.confirmations.confirm(code, accountId);
    switch (outcome.kind) {
      case 'unknown':
        throw new RequestError(
          ErrorCode.BadRequest,
          'This confirmation link is unknown, already used or expired. Log in and choose “Send the link again”.',
        );
      case 'not-yours':
        throw new RequestError(
          ErrorCode.Forbidden,
          password === undefined
            ? 'This link confirms the account that signed up with this address, and you are not logged in as it. Log in as the account that signed up (or enter its password here), then open the link again.'
            : 'Wrong password for the account that signed up with this address.',
        );
      case 'taken':
        throw new RequestError(
          ErrorCode.Conflict,
          'This address was already confirmed by another account; it stays with that account.',
        );
      case 'confirmed':
        if (signedIn)
          setSessionCookie(
            reply,
            await sessions.create(outcome.account.id, new Date(), originOf(request)),
            options.secureCookies,
          );
        return me(outcome.account);
    }
  });

  app.post('/api/login', async (request, reply) => {
    await limits.take(limits.logInPerIp, request.ip);
    const body = parseBody(logInSchema, request.body);
    // Same answer and the same scrypt work for an unknown email and a wrong password.
    const account = await limits.passwordChecks
      .run(request.ip, async () => {
        // The address's one account (confirmed, else oldest): a later sign-up
        // with someone else's address cannot be logged in to (ADR 006).
        const holder = await accounts.findByEmail(body.email);
        return matchPassword(body.password, holder ? [holder] : []);
      })
      .catch(tooManyAtOnce);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'wrong email or password');
    setSessionCookie(
      reply,
      await sessions.create(account.id, new Date(), originOf(request)),
      options.secureCookies,
    );
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

  // For the desk app's first look: 200 either way, so logging out is not an error.
  app.get('/api/session', async (request) => {
    const accountId = await sessionAccount(request, sessions);
    const account = accountId === undefined ? undefined : await accounts.findById(accountId);
    return { me: account ? me(account) : null };
  });

  return Promise.resolve();
};

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const myAccountRoutes: FastifyPluginAsync<MyAccountRoutesOptions> = (app, options) => {
  const { accounts } = options;

  app.get('/api/me', async (request) => {
    const account = await accounts.findById(request.accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    return me(account);
  });

  // The calls this person made as a recipient: only once their address is confirmed.
  app.get('/api/me/replies', async (request): Promise<MyReply[]> => {
    const account = await accounts.findById(request.accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    return account.emailVerifiedAt ? accounts.repliesTo(account.email) : [];
  });

  app.patch('/api/me/settings', async (request) => {
    const change = parseBody(updateSettingsSchema, request.body);
    const account = await accounts.updateSettings(request.accountId, change);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    options.onSettingsChanged(request.accountId);
    return me(account);
  });

  // "Send the link again" for the logged-in account: a legacy account never got
  // one, a mail may be lost. Limited per address (the mailbox's owner is not
  // to be flooded), so the answer may be "wait".
  app.post('/api/confirm/resend', async (request, reply): Promise<ConfirmationSent> => {
    parseBody(resendConfirmationSchema, request.body ?? {});
    const account = await accounts.findById(request.accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    if (account.emailVerifiedAt)
      throw new RequestError(ErrorCode.Conflict, `${account.email} is already confirmed.`);
    if (!(await options.confirmations.resend(account)))
      throw new RequestError(
        ErrorCode.RateLimited,
        `We already sent ${CONFIRMATION_MAILS_PER_DAY} confirmation emails to ${account.email} today; try again tomorrow.`,
      );
    return reply.code(202).send({ sentTo: account.email });
  });

  return Promise.resolve();
};

/** Where a new session is opened: shown to its owner in the sessions list. */
function originOf(request: FastifyRequest): SessionOrigin {
  return { userAgent: request.headers['user-agent'], clientAddress: request.ip };
}

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

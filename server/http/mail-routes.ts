// The sender's mail relay settings: how a mail program connects, and the app
// passwords it may log in with (shown once, then only their labels).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import {
  createAppPasswordSchema,
  MAX_APP_PASSWORDS,
  type AppPasswordInfo,
  type CreatedAppPassword,
  type RelaySettings,
} from '../../protocol/mail.js';
import { RequestError } from '../errors.js';
import { randomInt } from 'node:crypto';
import type { AccountStore } from '../store/account-store.js';
import type { AppPassword, AppPasswordStore } from '../store/app-password-store.js';
import { parseBody } from './http-errors.js';

export interface MailRoutesOptions {
  appPasswords: AppPasswordStore;
  accounts: AccountStore;
  /** Where mail programs reach the relay; undefined when it is not running. */
  relay: { host: string; port: number; startTls: boolean } | undefined;
}

const idParams = z.object({ id: z.coerce.number().int().positive() });

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const mailRoutes: FastifyPluginAsync<MailRoutesOptions> = (app, options) => {
  const { appPasswords, accounts, relay } = options;

  app.get('/api/me/mail', async (request): Promise<RelaySettings> => {
    const { accountId } = request;
    const account = await accounts.findById(accountId);
    if (!account) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
    return {
      relay: relay ? { ...relay, username: account.email } : null,
      appPasswords: (await appPasswords.list(accountId)).map(toInfo),
    };
  });

  app.post('/api/me/app-passwords', async (request, reply): Promise<CreatedAppPassword> => {
    const { accountId } = request;
    const body = parseBody(createAppPasswordSchema, request.body);
    if ((await appPasswords.list(accountId)).length >= MAX_APP_PASSWORDS)
      throw new RequestError(
        ErrorCode.Conflict,
        `at most ${MAX_APP_PASSWORDS} app passwords: revoke one first`,
      );
    const password = appPassword();
    const created = await appPasswords.create(accountId, body.label, password);
    void reply.status(201);
    return { ...toInfo(created), password };
  });

  app.delete('/api/me/app-passwords/:id', async (request, reply) => {
    const { accountId } = request;
    const { id } = parseBody(idParams, request.params);
    if (!(await appPasswords.revoke(accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such app password');
    return reply.status(204).send();
  });

  return Promise.resolve();
};

/** Letters and digits a person cannot confuse (no 0/o, 1/l/i). */
const APP_PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * 24 characters from 31 (about 119 random bits) in groups of four: easy to type
 * into a mail program, and never starting with "-" (which tools read as an option).
 */
function appPassword(): string {
  const characters = Array.from(
    { length: 24 },
    () => APP_PASSWORD_ALPHABET[randomInt(APP_PASSWORD_ALPHABET.length)],
  ).join('');
  return characters.match(/.{4}/g)?.join('-') ?? characters;
}

function toInfo(password: AppPassword): AppPasswordInfo {
  return {
    id: password.id,
    label: password.label,
    createdAt: password.createdAt.toISOString(),
    lastUsedAt: password.lastUsedAt?.toISOString() ?? null,
  };
}

// Reply links (for their owner) and what a reply page may learn about one.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SenderStatus } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import { createLinkSchema, linkTokenSchema, type ReplyPageInfo } from '../../protocol/links.js';
import type { LinkService } from '../links/link-service.js';
import { RequestError } from '../realtime/validated-handler.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallStore } from '../store/call-store.js';
import type { Link, LinkStore } from '../store/link-store.js';
import type { SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import { accountOf } from './session-cookie.js';

export interface LinkRoutesOptions {
  links: LinkService;
  linkStore: LinkStore;
  accounts: AccountStore;
  sessions: SessionStore;
  calls: CallStore;
  senderStatus: (accountId: number) => Promise<SenderStatus>;
  voicemailMaxSeconds: number;
  /** A link was revoked: its open reply pages stop hearing about calls. */
  onRevoked: (link: Link) => void;
}

const idParams = z.object({ id: z.coerce.number().int().positive() });
const tokenParams = z.object({ token: linkTokenSchema });

export const linkRoutes: FastifyPluginAsync<LinkRoutesOptions> = (app, options) => {
  const { links, linkStore, sessions } = options;

  app.post('/api/links', async (request, reply) => {
    const accountId = await accountOf(request, sessions);
    const body = parseBody(createLinkSchema, request.body);
    return reply.code(201).send(await links.createForRecipient(accountId, body));
  });

  app.get('/api/links', async (request) => links.list(await accountOf(request, sessions)));

  app.delete('/api/links/:id', async (request, reply) => {
    const accountId = await accountOf(request, sessions);
    const { id } = parseBody(idParams, request.params);
    const link = await linkStore.findOwned(accountId, id);
    if (!link || !(await linkStore.revoke(accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such link');
    options.onRevoked(link);
    return reply.code(204).send();
  });

  app.get('/api/calls', async (request) =>
    options.calls.history(await accountOf(request, sessions)),
  );

  // The reply page asks this first. Unknown, revoked and expired links get a
  // sentence a person can read.
  app.get('/api/reply/:token', async (request, reply) => {
    const { token } = parseBody(tokenParams, request.params);
    const link = await linkStore.findByToken(token);
    if (!link)
      throw new RequestError(
        ErrorCode.NotFound,
        'This reply link does not exist. Check that it was copied whole.',
      );
    if (link.revokedAt)
      throw new RequestError(ErrorCode.NotFound, 'This reply link was turned off by its owner.');
    if (link.expiresAt && link.expiresAt <= new Date())
      throw new RequestError(ErrorCode.NotFound, 'This reply link has expired.');
    const account = await options.accounts.findById(link.accountId);
    if (!account) throw new RequestError(ErrorCode.NotFound, 'This reply link does not exist.');
    const info: ReplyPageInfo = {
      senderName: account.displayName,
      senderStatus: account.settings.showStatus ? await options.senderStatus(account.id) : null,
      recipientName: link.recipientName,
      subject: link.subject,
      voicemailMaxSeconds: options.voicemailMaxSeconds,
      chat: link.kind === 'recipient' && account.settings.chatEnabled,
      // Only the name: a forwarded link must not hand out the recipient's address.
      invite: link.kind === 'recipient' && link.messageKey ? { name: link.recipientName } : null,
    };
    return reply.header('cache-control', 'no-store').send(info);
  });

  return Promise.resolve();
};

// Reply links for their owner (in the authenticated scope), and what a reply
// page may learn about one (public).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SenderStatus } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import { createLinkSchema, linkTokenSchema, type ReplyPageInfo } from '../../protocol/links.js';
import type { LinkService } from '../links/link-service.js';
import { RequestError } from '../errors.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallStore } from '../store/call-store.js';
import { linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import type { SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import { sessionAccount } from './session-cookie.js';

export interface LinkRoutesOptions {
  links: LinkService;
  linkStore: LinkStore;
  calls: CallStore;
  /** A link was revoked: its open reply pages stop hearing about calls. */
  onRevoked: (link: Link) => void;
}

export interface ReplyPageRoutesOptions {
  linkStore: LinkStore;
  accounts: AccountStore;
  sessions: SessionStore;
  senderStatus: (accountId: number) => Promise<SenderStatus>;
  voicemailMaxSeconds: number;
}

/** The one answer strangers get for a link that is unknown, revoked or expired. */
export const LINK_NOT_WORKING =
  'This reply link does not work. Check that it was copied whole, or ask its sender for a new one.';

/** Why an unusable link does not work, in words for its owner. */
function unusableReason(link: Link): string {
  return link.revokedAt ? 'You turned off this reply link.' : 'This reply link has expired.';
}

const idParams = z.object({ id: z.coerce.number().int().positive() });
const tokenParams = z.object({ token: linkTokenSchema });

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const linkRoutes: FastifyPluginAsync<LinkRoutesOptions> = (app, options) => {
  const { links, linkStore } = options;

  app.post('/api/links', async (request, reply) => {
    const body = parseBody(createLinkSchema, request.body);
    return reply.code(201).send(await links.createForRecipient(request.accountId, body));
  });

  app.get('/api/links', async (request) => links.list(request.accountId));

  app.delete('/api/links/:id', async (request, reply) => {
    const { accountId } = request;
    const { id } = parseBody(idParams, request.params);
    const link = await linkStore.findOwned(accountId, id);
    if (!link || !(await linkStore.revoke(accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such link');
    options.onRevoked(link);
    return reply.code(204).send();
  });

  app.get('/api/calls', async (request) => options.calls.history(request.accountId));

  return Promise.resolve();
};

/** Public: a reply page is opened by anyone holding its link. */
export const replyPageRoutes: FastifyPluginAsync<ReplyPageRoutesOptions> = (app, options) => {
  const { linkStore, sessions } = options;

  /** Whether the request comes from the logged-in owner of `link`. */
  const ownerOf = async (request: FastifyRequest, link: Link): Promise<boolean> =>
    (await sessionAccount(request, sessions)) === link.accountId;

  // The reply page asks this first. A stranger holding a token learns only
  // that it does not work: not whether it ever existed, was turned off or ran
  // out (that would tell a guesser which tokens were real, and a former
  // recipient what the sender did). Its owner, logged in, is told why.
  app.get('/api/reply/:token', async (request, reply) => {
    const { token } = parseBody(tokenParams, request.params);
    const link = await linkStore.findByToken(token);
    if (!link || !linkUsable(link)) {
      const why = link && (await ownerOf(request, link)) ? unusableReason(link) : undefined;
      throw new RequestError(ErrorCode.NotFound, why ?? LINK_NOT_WORKING);
    }
    const account = await options.accounts.findById(link.accountId);
    if (!account) throw new RequestError(ErrorCode.NotFound, LINK_NOT_WORKING);
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

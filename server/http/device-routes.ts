// The email device for a sender's signature link (in the authenticated scope),
// and the live status badge any device shows (public; issue 5).
import type { FastifyPluginAsync } from 'fastify';
import type { SenderStatus } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import { linkTokenSchema } from '../../protocol/links.js';
import type { LinkService } from '../links/link-service.js';
import { badgeSvg, BadgePngs, type BadgeState } from '../mail/badge.js';
import { renderDevice } from '../mail/device.js';
import { RequestError } from '../errors.js';
import type { AccountStore } from '../store/account-store.js';
import { linkUsable, type LinkStore } from '../store/link-store.js';
import { badgeLimited } from './web-guards.js';

export interface DeviceRoutesOptions {
  links: LinkService;
  accounts: AccountStore;
}

export interface BadgeRoutesOptions {
  linkStore: LinkStore;
  accounts: AccountStore;
  senderStatus: (accountId: number) => Promise<SenderStatus>;
}

const BADGE_FILE = /^(.+)\.(png|svg)$/;

/** Public: mail clients load the badge without any session. */
export const badgeRoutes: FastifyPluginAsync<BadgeRoutesOptions> = (app, options) => {
  const pngs = new BadgePngs();

  /** What a badge shows: the status if the sender shows it, else neutral. */
  const badgeState = async (token: string): Promise<BadgeState> => {
    if (!linkTokenSchema.safeParse(token).success) return 'neutral';
    const link = await options.linkStore.findByToken(token);
    if (!link || !linkUsable(link)) return 'neutral';
    const account = await options.accounts.findById(link.accountId);
    if (!account?.settings.showStatus) return 'neutral';
    return options.senderStatus(account.id);
  };

  // Mail clients show a broken image badly: anything odd gets the neutral badge.
  app.get<{ Params: { file: string } }>('/b/:file', async (request, reply) => {
    const [, token = '', type = 'png'] = BADGE_FILE.exec(request.params.file) ?? [];
    const state = badgeLimited(request) ? 'neutral' : await badgeState(token);
    void reply.header('cache-control', 'no-store');
    if (type === 'svg') return reply.type('image/svg+xml').send(badgeSvg(state));
    return reply.type('image/png').send(pngs.png(state));
  });

  return Promise.resolve();
};

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const deviceRoutes: FastifyPluginAsync<DeviceRoutesOptions> = (app, options) => {
  app.get('/api/links/signature/device', async (request) => {
    const { accountId } = request;
    const account = await options.accounts.findById(accountId);
    const signature = (await options.links.list(accountId)).find(
      (link) => link.kind === 'signature' && link.url && !link.revokedAt,
    );
    if (!account || !signature?.url)
      throw new RequestError(ErrorCode.NotFound, 'no signature link: create one first');
    const token = signature.url.split('/r/')[1] ?? '';
    return {
      url: signature.url,
      ...renderDevice({
        replyUrl: signature.url,
        badgeUrl: options.links.badgeUrlFor(token),
        senderName: account.displayName,
        video: account.settings.offerVideo,
      }),
    };
  });

  return Promise.resolve();
};

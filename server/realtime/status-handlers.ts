// The sender's status on open reply pages (issue 19, part 2). A page sends
// status:watch with its token and joins its sender's status channel (and, on
// a personal link, the link's page channel, where call-back news goes); the
// status feed's changes go to that channel, which the Redis adapter carries
// to pages on every node. What a page sees is what GET /api/reply/ shows:
// the status while the sender shows it, else null.
import { channels } from '../calls/channels.js';
import { statusWatchSchema, type StatusWatched } from '../../protocol/callback.js';
import type { Logger } from '../logger.js';
import type { SenderStatusLookup } from '../presence/sender-status.js';
import type { StatusFeed } from '../presence/status-feed.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallbackRequestStore } from '../store/callback-request-store.js';
import type { LinkStore } from '../store/link-store.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { LINK_NOT_WORKING } from '../http/link-routes.js';
import { pageLink } from './page-links.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { validated } from './validated-handler.js';

export interface StatusHandlersParts {
  io: VoxServer;
  feed: StatusFeed;
  senderStatus: SenderStatusLookup;
  accounts: AccountStore;
  links: LinkStore;
  requests: CallbackRequestStore;
  limits: RateLimits;
  logger: Logger;
}

export class StatusHandlers {
  readonly #parts: StatusHandlersParts;
  readonly #log: Logger;
  /** The channels each page of this node watches (one link's at a time). */
  readonly #watching = new Map<string, string[]>();
  /**
   * Watches per socket: a working token gives its lookup point back (so
   * reconnects cost nothing), which would leave one socket free to ask again
   * and again; a page watches once per (re)connection.
   */
  readonly #perSocket = new RateLimiterMemory({ points: 20, duration: 60 });

  constructor(parts: StatusHandlersParts) {
    this.#parts = parts;
    this.#log = parts.logger.child({ component: 'status' });
    parts.feed.on('status', ({ accountId, shown }) => {
      parts.io.to(channels.senderStatus(accountId)).emit('status:changed', { status: shown });
    });
  }

  attach(socket: VoxSocket): void {
    socket.on(
      'status:watch',
      validated('status:watch', statusWatchSchema, this.#log, async (request) =>
        this.#watch(socket, request.token),
      ),
    );
    socket.on('disconnect', () => this.#watching.delete(socket.id));
  }

  async #watch(socket: VoxSocket, token: string): Promise<StatusWatched> {
    const { accounts, senderStatus, requests, limits } = this.#parts;
    await limits.take(this.#perSocket, socket.id);
    const link = await pageLink(socket, token, this.#parts);
    const account = await accounts.findById(link.accountId);
    if (!account) throw new RequestError(ErrorCode.NotFound, LINK_NOT_WORKING);
    const personal = link.kind === 'recipient';
    const watched = [
      channels.senderStatus(account.id),
      ...(personal ? [channels.replyPages(link.id)] : []),
    ];
    // Watching another link: the page leaves the one it watched.
    for (const channel of this.#watching.get(socket.id) ?? [])
      if (!watched.includes(channel)) await socket.leave(channel);
    if (!socket.connected) return this.#unwatched();
    this.#watching.set(socket.id, watched);
    await socket.join(watched);
    const [status, waiting] = await Promise.all([
      account.settings.showStatus ? senderStatus(account.id) : null,
      personal ? requests.forLink(link.id) : undefined,
    ]);
    return {
      status,
      senderName: account.displayName,
      // Once told the sender is free (here or by email), the page just offers the call.
      callbackWaiting: waiting !== undefined && waiting.notifiedAt === null,
      callbackOffered: personal,
    };
  }

  #unwatched(): StatusWatched {
    return { status: null, senderName: '', callbackWaiting: false, callbackOffered: false };
  }
}

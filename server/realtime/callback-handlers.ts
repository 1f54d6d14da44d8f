// "Call me back when they're free" (issue 19, part 2). A personal link's page
// asks (callback:request); the sender's desks list the requests
// (callback:list, callbacks:list on every change). When the status feed
// finds the sender available, each waiting request is claimed once (in the
// store, whichever node is first) and its link's open pages hear
// callback:free. The desk's Call (callback:call) rings the link's open pages
// with a sealed ticket (callback-tickets.ts); the page that answers starts an
// ordinary call with it, which rings only that desk (ADR 024), and the
// request goes. Requests are bounded per link and per sender (the store).
import { RateLimiterMemory } from 'rate-limiter-flexible';
import {
  callbackIdSchema,
  callbackListSchema,
  callbackRequestSchema,
  type CallbackRequestView,
} from '../../protocol/callback.js';
import { ErrorCode } from '../../protocol/errors.js';
import { channels } from '../calls/channels.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StatusChange, StatusFeed } from '../presence/status-feed.js';
import { clientKey } from '../security/client-key.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallbackRequest, CallbackRequestStore } from '../store/callback-request-store.js';
import { linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import type { CallbackTicket, CallbackTickets } from './callback-tickets.js';
import { pageLink } from './page-links.js';
import { clientAddress } from './socket-server.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { validated } from './validated-handler.js';

export interface CallbackHandlersParts {
  io: VoxServer;
  feed: StatusFeed;
  requests: CallbackRequestStore;
  links: LinkStore;
  accounts: Pick<AccountStore, 'findById'>;
  tickets: CallbackTickets;
  box: SealedBox;
  limits: RateLimits;
  /** RATE_LIMIT_MULTIPLIER: scales the limits below as it does the others. */
  rateLimitMultiplier: number;
  /** Tells a request's recipient by email that the sender is free (with mail configured). */
  emailFreeNow?: (request: CallbackRequest, senderName: string) => Promise<void>;
  logger: Logger;
}

export class CallbackHandlers {
  readonly #parts: CallbackHandlersParts;
  readonly #log: Logger;
  /** Requests per address: a person asks once or twice; more is someone else. */
  readonly #perAddress: RateLimiterMemory;
  /** Requests per link, however many pages or addresses. */
  readonly #perLink: RateLimiterMemory;

  constructor(parts: CallbackHandlersParts) {
    this.#parts = parts;
    this.#log = parts.logger.child({ component: 'callbacks' });
    const scaled = (points: number) => Math.max(1, Math.round(points * parts.rateLimitMultiplier));
    this.#perAddress = new RateLimiterMemory({ points: scaled(10), duration: 600 });
    this.#perLink = new RateLimiterMemory({ points: scaled(5), duration: 600 });
    parts.feed.on('status', (change) => void this.#statusChanged(change));
  }

  attach(socket: VoxSocket): void {
    const log = this.#log;
    const account = (): number => {
      const id = socket.data.accountId;
      if (id === undefined) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
      return id;
    };
    socket.on(
      'callback:request',
      validated('callback:request', callbackRequestSchema, log, async (request) => {
        await this.#request(socket, request.token, request.callerName);
        return null;
      }),
    );
    socket.on(
      'callback:list',
      validated('callback:list', callbackListSchema, log, () => this.#views(account())),
    );
    socket.on(
      'callback:call',
      validated('callback:call', callbackIdSchema, log, async ({ requestId }) => {
        const deviceId = socket.data.deviceId;
        if (!deviceId) throw new RequestError(ErrorCode.Forbidden, 'send device:hello first');
        return this.#callBack(account(), deviceId, requestId);
      }),
    );
    socket.on(
      'callback:dismiss',
      validated('callback:dismiss', callbackIdSchema, log, async ({ requestId }) => {
        const accountId = account();
        if (!(await this.#parts.requests.remove(accountId, requestId)))
          throw new RequestError(ErrorCode.NotFound, 'no such request');
        await this.publish(accountId);
        return null;
      }),
    );
  }

  /** The page answered a call-back: the call has started, the request is done. */
  async started(ticket: CallbackTicket): Promise<void> {
    await this.#parts.requests.remove(ticket.accountId, ticket.requestId);
    this.#log.info(
      { accountId: ticket.accountId, requestId: ticket.requestId, linkId: ticket.linkId },
      'called back',
    );
    await this.publish(ticket.accountId);
  }

  /** What a page's ticket names (call:start answering a call-back), or refused. */
  read(ticket: string, link: Link): CallbackTicket {
    return this.#parts.tickets.read(ticket, link);
  }

  /** The call-back request a ticket names, if it is still open. */
  async stillOpen(ticket: CallbackTicket): Promise<boolean> {
    return (await this.#parts.requests.find(ticket.accountId, ticket.requestId)) !== undefined;
  }

  /** Sends the sender's requests to every desk of theirs. */
  async publish(accountId: number): Promise<void> {
    try {
      this.#parts.io
        .to(channels.account(accountId))
        .emit('callbacks:list', await this.#views(accountId));
    } catch (error) {
      this.#log.error({ err: error, accountId }, 'could not publish call-back requests');
    }
  }

  async #request(socket: VoxSocket, token: string, callerName: string): Promise<void> {
    const { limits, requests, box } = this.#parts;
    await limits.take(this.#perAddress, clientKey(clientAddress(socket)));
    const link = await pageLink(socket, token, this.#parts);
    // Everyone who got the signature link shares it: nobody in particular to call back.
    if (link.kind !== 'recipient')
      throw new RequestError(ErrorCode.Forbidden, 'a call-back needs a personal reply link');
    await limits.take(this.#perLink, String(link.id));
    const added = await requests.add({
      accountId: link.accountId,
      linkId: link.id,
      callerName,
      tokenSealed: box.seal(token),
      linkExpiresAt: link.expiresAt,
    });
    await socket.join(channels.replyPages(link.id));
    this.#log.info(
      { accountId: link.accountId, linkId: link.id, requestId: added.id },
      'asked to be called back',
    );
    await this.publish(link.accountId);
  }

  /** Rings the link's open pages; the one that answers calls this desk. */
  async #callBack(
    accountId: number,
    deviceId: string,
    requestId: number,
  ): Promise<{ reached: number }> {
    const { requests, links, io, tickets } = this.#parts;
    const request = await requests.find(accountId, requestId);
    const link = request && (await links.findOwned(accountId, request.linkId));
    if (!request || !link) throw new RequestError(ErrorCode.NotFound, 'no such request');
    if (!linkUsable(link)) {
      await requests.remove(accountId, requestId);
      await this.publish(accountId);
      throw new RequestError(ErrorCode.Conflict, 'this link no longer works: nobody to call');
    }
    const channel = channels.replyPages(link.id);
    const pages = await io.in(channel).fetchSockets();
    if (pages.length === 0) return { reached: 0 };
    const senderName = await this.#senderName(link);
    const { sealed, expiresAt } = tickets.issue({
      requestId,
      linkId: link.id,
      accountId,
      deviceId,
    });
    io.to(channel).emit('callback:ring', {
      senderName,
      ticket: sealed,
      expiresAt: new Date(expiresAt).toISOString(),
    });
    this.#log.info({ accountId, requestId, deviceId, pages: pages.length }, 'calling back');
    return { reached: pages.length };
  }

  /** The sender is free: the waiting pages hear it (each request once, on any node). */
  async #statusChanged(change: StatusChange): Promise<void> {
    // A sender who hides their status is not announced either (a request,
    // made again and again, would track them); their desk still calls back.
    if (change.status !== 'available' || change.shown === null) return;
    try {
      const claimed = await this.#parts.requests.claimWaiting(change.accountId);
      if (claimed.length === 0) return;
      for (const request of claimed) {
        const pages = channels.replyPages(request.linkId);
        this.#parts.io.to(pages).emit('callback:free', { senderName: change.senderName });
        // Nobody on the page to hear it: by email, where the link knows the address.
        const { emailFreeNow } = this.#parts;
        if (emailFreeNow && (await this.#parts.io.in(pages).fetchSockets()).length === 0)
          await emailFreeNow(request, change.senderName);
      }
      this.#log.info(
        { accountId: change.accountId, requests: claimed.map((request) => request.id) },
        'told the waiting pages the sender is free',
      );
      await this.publish(change.accountId);
    } catch (error) {
      this.#log.error({ err: error, accountId: change.accountId }, 'could not tell waiting pages');
    }
  }

  async #senderName(link: Link): Promise<string> {
    return (await this.#parts.accounts.findById(link.accountId))?.displayName ?? 'The sender';
  }

  async #views(accountId: number): Promise<CallbackRequestView[]> {
    const { requests, io } = this.#parts;
    const open = await requests.list(accountId);
    const pageChannels = open.map((request) => channels.replyPages(request.linkId));
    const openPages = new Set<string>();
    if (pageChannels.length > 0) {
      for (const page of await io.in(pageChannels).fetchSockets())
        for (const room of page.rooms) openPages.add(room);
    }
    return open.map((request) => view(request, openPages));
  }
}

function view(request: CallbackRequest, openPages: Set<string>): CallbackRequestView {
  return {
    id: request.id,
    linkId: request.linkId,
    callerName: request.callerName,
    subject: request.subject,
    requestedAt: request.createdAt.toISOString(),
    notifiedAt: request.notifiedAt?.toISOString() ?? null,
    pageOpen: openPages.has(channels.replyPages(request.linkId)),
  };
}

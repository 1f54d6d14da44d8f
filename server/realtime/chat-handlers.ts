// Chat events. A reply page chats on its personal link (named by token), the
// desk app on any of its sender's links (by id). Each side joins the link's
// chat room when it opens the chat; new messages and read marks go there, and
// a caller's message also reaches every desk app of the sender.
import { channels } from '../calls/channels.js';
import {
  chatOpenSchema,
  chatReadSchema,
  chatSendSchema,
  type ChatMessage,
  type ChatOpened,
  type ChatSide,
} from '../../protocol/chat.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { AccountStore } from '../store/account-store.js';
import type { ChatStore } from '../store/chat-store.js';
import { linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import { LINK_NOT_WORKING } from '../http/link-routes.js';
import { clientAddress } from './socket-server.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';

/** Told of what is said and read (the emails for messages left unread). */
export interface ChatFollowUps {
  sent(link: Link, message: ChatMessage): Promise<void>;
  read(link: Link, reader: ChatSide, upToId: number): Promise<void>;
}

interface ChatPlace {
  link: Link;
  /** Who this socket is in the chat. */
  side: ChatSide;
}

export class ChatHandlers {
  readonly #io: VoxServer;
  readonly #chats: ChatStore;
  readonly #links: LinkStore;
  readonly #accounts: AccountStore;
  readonly #limits: RateLimits;
  readonly #followUps: ChatFollowUps | undefined;
  readonly #logger: Logger;

  constructor(options: {
    io: VoxServer;
    chats: ChatStore;
    links: LinkStore;
    accounts: AccountStore;
    limits: RateLimits;
    followUps?: ChatFollowUps;
    logger: Logger;
  }) {
    this.#io = options.io;
    this.#chats = options.chats;
    this.#links = options.links;
    this.#accounts = options.accounts;
    this.#limits = options.limits;
    this.#followUps = options.followUps;
    this.#logger = options.logger.child({ component: 'chat' });
  }

  attach(socket: VoxSocket): void {
    const log = this.#logger;
    socket.on(
      'chat:open',
      validated('chat:open', chatOpenSchema, log, async (request): Promise<ChatOpened> => {
        const { link, side } = await this.#place(socket, request);
        const enabled = await this.#enabled(link);
        // A caller of a sender who turned chat off sees nothing of it; the sender keeps theirs.
        if (!enabled && side === 'caller') return { enabled, messages: [] };
        await socket.join(channels.chat(link.id));
        return { enabled, messages: await this.#chats.history(link.id) };
      }),
    );
    socket.on(
      'chat:send',
      validated('chat:send', chatSendSchema, log, async (request): Promise<ChatMessage> => {
        await this.#limits.take(this.#limits.chatPerSocket, socket.id);
        const { link, side } = await this.#place(socket, request);
        if (side === 'caller') await this.#limits.take(this.#limits.chatPerLink, String(link.id));
        // A revoked link's page may still be open: it hears nothing more.
        if (!linkUsable(link))
          throw new RequestError(ErrorCode.Forbidden, 'this link is turned off: nothing is sent');
        // One read of the sender's account: whether chat is on, and their name.
        const account = await this.#accounts.findById(link.accountId);
        if (!account?.settings.chatEnabled)
          throw new RequestError(ErrorCode.Forbidden, 'chat is turned off for this link');
        const author =
          side === 'sender' ? account.displayName : callerName(link, request.authorName);
        const { message, created } = await this.#chats.add(
          link.id,
          side,
          author,
          request.text,
          request.key,
        );
        // A retry of a stored message: the others have it already.
        if (!created) return message;
        // Everyone in the chat but this socket, and (for a caller's message) the sender's desks.
        const audience =
          side === 'caller'
            ? [channels.chat(link.id), channels.account(link.accountId)]
            : [channels.chat(link.id)];
        socket.to(audience).emit('chat:message', message);
        await this.#followUp({ linkId: link.id, messageId: message.id }, () =>
          this.#followUps?.sent(link, message),
        );
        return message;
      }),
    );
    socket.on(
      'chat:read',
      validated('chat:read', chatReadSchema, log, async (request) => {
        const { link, side } = await this.#place(socket, request);
        const from: ChatSide = side === 'caller' ? 'sender' : 'caller';
        if ((await this.#chats.markRead(link.id, from, request.upToId)) > 0) {
          this.#io.to(channels.chat(link.id)).emit('chat:read', {
            linkId: link.id,
            from,
            upToId: request.upToId,
            readAt: new Date().toISOString(),
          });
          await this.#followUp({ linkId: link.id, upToId: request.upToId }, () =>
            this.#followUps?.read(link, side, request.upToId),
          );
        }
        return null;
      }),
    );
  }

  /** A follow-up that fails is logged: the message is stored and delivered either way. */
  async #followUp(context: object, work: () => Promise<void> | undefined): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#logger.error({ err: error, ...context }, 'chat follow-up (unread emails) failed');
    }
  }

  /** The link and side a request speaks for, or a refusal saying why not. */
  async #place(socket: VoxSocket, where: { token?: string; linkId?: number }): Promise<ChatPlace> {
    const accountId = socket.data.accountId;
    if (where.linkId !== undefined) {
      const link =
        accountId === undefined ? undefined : await this.#links.findOwned(accountId, where.linkId);
      if (!link) throw new RequestError(ErrorCode.NotFound, 'no such link');
      return { link, side: 'sender' };
    }
    if (where.token === undefined)
      throw new RequestError(ErrorCode.BadRequest, 'name the chat by token or linkId');
    // Before the lookup, per client address as over HTTP (the same budget: a
    // guesser gains nothing by switching to sockets or opening many). A token
    // that works gives its point back, so a busy chat does not spend the
    // budget of the reply pages behind the same address.
    const address = clientAddress(socket);
    await this.#limits.take(this.#limits.linkLookupPerIp, address);
    const link = await this.#links.findByToken(where.token);
    // As GET /api/reply/: unknown, revoked and expired tokens answer alike, so
    // a guesser cannot tell which tokens ever existed (owners chat by linkId).
    if (!link || !linkUsable(link)) throw new RequestError(ErrorCode.NotFound, LINK_NOT_WORKING);
    await this.#limits.refund(this.#limits.linkLookupPerIp, address);
    // Everyone who got the signature link shares it: their chats would mix.
    if (link.kind !== 'recipient')
      throw new RequestError(ErrorCode.Forbidden, 'chat needs a personal reply link');
    return { link, side: 'caller' };
  }

  async #enabled(link: Link): Promise<boolean> {
    return (await this.#accounts.findById(link.accountId))?.settings.chatEnabled ?? false;
  }
}

/** A caller's name: as given, else the name the link was made for. */
function callerName(link: Link, given: string | undefined): string {
  const name = given ?? link.recipientName;
  if (!name) throw new RequestError(ErrorCode.BadRequest, 'authorName: say who you are');
  return name;
}

/**
 * Whether a reply page has the link's chat open, on any node (the rooms are
 * shared through the Redis adapter); the sender's own desks do not count.
 */
export async function chatPageOpen(io: VoxServer, link: Link): Promise<boolean> {
  const sockets = await io.in(channels.chat(link.id)).fetchSockets();
  return sockets.some((socket) => socket.data.accountId !== link.accountId);
}

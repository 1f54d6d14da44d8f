// Builds the parts that keep reply pages live (issue 19, part 2; design.md
// 3.13): the status feed, the sender-status lookup it shares with HTTP, the
// status and call-back socket handlers. The composition root wires them.
import type { Kysely } from 'kysely';
import type { CallDirectory } from '../calls/call-directory.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import { senderStatusLookup, type SenderStatusLookup } from '../presence/sender-status.js';
import { StatusFeed } from '../presence/status-feed.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { AccountStore } from '../store/account-store.js';
import { CallbackRequestStore } from '../store/callback-request-store.js';
import type { Link, LinkStore } from '../store/link-store.js';
import { channels } from '../calls/channels.js';
import type { Database } from '../store/schema.js';
import { CallbackHandlers, type CallbackHandlersParts } from './callback-handlers.js';
import { CallbackTickets } from './callback-tickets.js';
import { StatusHandlers } from './status-handlers.js';
import type { VoxServer, VoxSocket } from './typed-server.js';

export interface LiveReplyPages {
  feed: StatusFeed;
  senderStatus: SenderStatusLookup;
  callbacks: CallbackHandlers;
  attach(socket: VoxSocket): void;
  /** A link was revoked: its open pages (on any node) hear nothing more of the sender. */
  forget(link: Link): void;
  close(): void;
}

export function liveReplyPages(parts: {
  io: VoxServer;
  db: Kysely<Database>;
  presence: Presence;
  devices: DeviceDirectory;
  calls: CallDirectory;
  accounts: AccountStore;
  links: LinkStore;
  box: SealedBox;
  limits: RateLimits;
  rateLimitMultiplier: number;
  emailFreeNow?: CallbackHandlersParts['emailFreeNow'];
  logger: Logger;
}): LiveReplyPages {
  const { io, presence, devices, calls, accounts, links, box, limits, logger } = parts;
  const feed = new StatusFeed({ accounts, devices, presence, calls, logger });
  const senderStatus = senderStatusLookup({ accounts, devices, calls });
  const requests = new CallbackRequestStore(parts.db);
  const callbacks = new CallbackHandlers({
    ...{ io, feed, requests, links, accounts, box, limits, logger },
    tickets: new CallbackTickets(box),
    rateLimitMultiplier: parts.rateLimitMultiplier,
    ...(parts.emailFreeNow ? { emailFreeNow: parts.emailFreeNow } : {}),
  });
  const status = new StatusHandlers({
    ...{ io, feed, senderStatus, accounts, links, requests, limits, logger },
  });
  return {
    feed,
    senderStatus,
    callbacks,
    attach: (socket) => {
      status.attach(socket);
      callbacks.attach(socket);
    },
    forget: (link) => {
      const pages = channels.replyPages(link.id);
      io.in(pages).socketsLeave([pages, channels.senderStatus(link.accountId)]);
    },
    close: () => feed.close(),
  };
}

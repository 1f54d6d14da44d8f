// Group replies' events: a reply page watches its email's call (joining it,
// listing the email's recipients and inviting one are call events,
// call-handlers.ts). Strangers' events are rate-limited per address.
import { channels } from '../calls/channels.js';
import { ErrorCode } from '../../protocol/errors.js';
import { groupWatchSchema } from '../../protocol/group.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { inGroup, type Link, type LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';

export class GroupHandlers {
  readonly #io: VoxServer;
  readonly #orchestrator: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;

  constructor(
    io: VoxServer,
    orchestrator: CallOrchestrator,
    links: LinkStore,
    limits: RateLimits,
    logger: Logger,
  ) {
    this.#io = io;
    this.#orchestrator = orchestrator;
    this.#links = links;
    this.#limits = limits;
    this.#logger = logger.child({ component: 'group-events' });
  }

  attach(socket: VoxSocket): void {
    const log = this.#logger;
    socket.on(
      'group:watch',
      validated('group:watch', groupWatchSchema, log, async (request) => {
        await this.#limits.take(this.#limits.groupWatchPerIp, clientAddress(socket));
        const link = await this.#links.findByToken(request.token);
        if (!link) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
        // A Bcc recipient, a hand-made or signature link: no group, nothing to watch.
        if (!inGroup(link)) return null;
        await socket.join([
          channels.group(link.accountId, link.messageKey),
          channels.groupLink(link.id),
        ]);
        return this.#orchestrator.groupState(link);
      }),
    );
  }

  /** A revoked link's open pages hear nothing more of its email's calls. */
  forget(link: Link): void {
    const channel = channels.groupLink(link.id);
    const watched = link.messageKey
      ? [channels.group(link.accountId, link.messageKey), channel]
      : [channel];
    this.#io.in(channel).socketsLeave(watched);
  }
}

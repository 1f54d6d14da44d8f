// Group replies' events: a reply page watches its email's call (joining it
// is a call event, call-handlers.ts); the sender's device in the call lists the email's other recipients and
// invites one. Strangers' events are rate-limited per address and per link.
import { ErrorCode } from '../../protocol/errors.js';
import { groupWatchSchema, inviteToCallSchema } from '../../protocol/group.js';
import { callIdRequestSchema } from '../../protocol/call.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import { groupChannel, groupLinkChannel } from '../calls/group-call.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { inGroup, type Link, type LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { RequestError, validated } from './validated-handler.js';

export class GroupHandlers {
  readonly #io: VoxServer;
  readonly #calls: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;

  constructor(
    io: VoxServer,
    calls: CallOrchestrator,
    links: LinkStore,
    limits: RateLimits,
    logger: Logger,
  ) {
    this.#io = io;
    this.#calls = calls;
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
          groupChannel(link.accountId, link.messageKey),
          groupLinkChannel(link.id),
        ]);
        return this.#calls.groupState(link);
      }),
    );
    socket.on(
      'call:recipients',
      validated('call:recipients', callIdRequestSchema, log, (request) =>
        this.#calls.recipients(socket, request.callId),
      ),
    );
    socket.on(
      'call:invite',
      validated('call:invite', inviteToCallSchema, log, (request) =>
        this.#calls.invite(socket, request.callId, request.linkId),
      ),
    );
  }

  /** A revoked link's open pages hear nothing more of its email's calls. */
  forget(link: Link): void {
    const channel = groupLinkChannel(link.id);
    const channels = link.messageKey
      ? [groupChannel(link.accountId, link.messageKey), channel]
      : [channel];
    this.#io.in(channel).socketsLeave(channels);
  }
}

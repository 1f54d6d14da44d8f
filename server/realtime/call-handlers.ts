// The call events, from the reply page (start, join, hang up) and the desk app
// (answer, decline, send to phone, hang up) and keypad tones to a phone. Rate-limited per IP and per link.
import { ErrorCode } from '../../protocol/errors.js';
import {
  answerCallSchema,
  callDtmfSchema,
  callIdRequestSchema,
  startCallSchema,
} from '../../protocol/call.js';
import { joinCallSchema } from '../../protocol/group.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { hashToken } from '../security/tokens.js';
import type { Link, LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import type { VoxSocket } from './typed-server.js';
import { RequestError, validated } from './validated-handler.js';

export class CallHandlers {
  readonly #calls: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;

  constructor(calls: CallOrchestrator, links: LinkStore, limits: RateLimits, logger: Logger) {
    this.#calls = calls;
    this.#links = links;
    this.#limits = limits;
    this.#logger = logger.child({ component: 'call-events' });
  }

  attach(socket: VoxSocket): void {
    const log = this.#logger;
    socket.on(
      'call:start',
      validated('call:start', startCallSchema, log, async (request) =>
        this.#calls.start(socket, {
          link: await this.#callerLink(socket, request.token),
          callerName: request.callerName,
          video: request.video,
        }),
      ),
    );
    // Group replies: another recipient of the email joins its running call.
    socket.on(
      'call:join',
      validated('call:join', joinCallSchema, log, async (request) =>
        this.#calls.join(socket, {
          link: await this.#callerLink(socket, request.token),
          callId: request.callId,
          callerName: request.callerName,
          video: request.video,
        }),
      ),
    );
    socket.on(
      'call:answer',
      validated('call:answer', answerCallSchema, log, (request) =>
        this.#calls.answer(socket, request.callId, request.video),
      ),
    );
    socket.on(
      'call:decline',
      validated('call:decline', callIdRequestSchema, log, (request) => {
        this.#calls.decline(socket, request.callId);
        return null;
      }),
    );
    socket.on(
      'call:sendToPhone',
      validated('call:sendToPhone', callIdRequestSchema, log, (request) => {
        this.#calls.sendToPhone(socket, request.callId);
        return null;
      }),
    );
    socket.on(
      'call:dtmf',
      validated('call:dtmf', callDtmfSchema, log, async (request) => {
        await this.#limits.take(this.#limits.keypadPerSocket, socket.id);
        this.#calls.sendTones(socket, request.callId, request.digits);
        return null;
      }),
    );
    socket.on(
      'call:hangup',
      validated('call:hangup', callIdRequestSchema, log, (request) => {
        this.#calls.hangup(socket, request.callId);
        return null;
      }),
    );
    socket.on('disconnect', () => this.#calls.disconnected(socket));
  }

  /** A reply page's link, once the call limits (per address, per link) allow one more call. */
  async #callerLink(socket: VoxSocket, token: string): Promise<Link> {
    await this.#limits.take(this.#limits.callStartPerIp, clientAddress(socket));
    await this.#limits.take(this.#limits.callStartPerLink, hashToken(token));
    const link = await this.#links.findByToken(token);
    if (!link) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
    return link;
  }
}

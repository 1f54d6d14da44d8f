// The call events, from the reply page (start, join, hang up) and the desk app
// (answer, decline, send to phone, hang up, the email's recipients, invite)
// and keypad tones to a phone; a reply page resuming its call after its node
// died. Starts and joins are rate-limited per IP and
// per link. With several nodes, requests about a call another node runs are
// forwarded to it (forwarding.ts).
import { ErrorCode } from '../../protocol/errors.js';
import {
  answerCallSchema,
  callDtmfSchema,
  callIdRequestSchema,
  resumeCallSchema,
  startCallSchema,
  type CallIdRequest,
} from '../../protocol/call.js';
import { inviteToCallSchema, joinCallSchema } from '../../protocol/group.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { hashToken } from '../security/tokens.js';
import type { Link, LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import { FORWARDED_CALL_EVENTS, type ForwardedCallEvent, type Forwarding } from './forwarding.js';
import type { Peer } from './peer.js';
import type { VoxSocket } from './typed-server.js';
import { operation, runOperation, type Operation } from './forwardable-operation.js';
import { RequestError, validated } from './validated-handler.js';

export class CallHandlers {
  readonly #calls: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;
  readonly #forwarding: Forwarding | undefined;

  constructor(
    calls: CallOrchestrator,
    links: LinkStore,
    limits: RateLimits,
    logger: Logger,
    forwarding?: Forwarding,
  ) {
    this.#calls = calls;
    this.#links = links;
    this.#limits = limits;
    this.#logger = logger.child({ component: 'call-events' });
    this.#forwarding = forwarding;
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
    // A page whose connection dropped (its node died) takes its call back here.
    socket.on(
      'call:resume',
      validated('call:resume', resumeCallSchema, log, async (request) => {
        await this.#limits.take(this.#limits.callStartPerIp, clientAddress(socket));
        // One node: the call ended when the page's connection dropped.
        if (!this.#forwarding) throw new RequestError(ErrorCode.NotFound, 'the call ended');
        return this.#forwarding.resume(socket, request);
      }),
    );
    // The requests of a call this socket is in, wherever that call runs.
    for (const event of FORWARDED_CALL_EVENTS) {
      const { schema } = this.#operations[event];
      socket.on(
        event,
        validated(event, schema, log, (request) => this.#route(socket, event, request)),
      );
    }
    socket.on(
      'call:dtmf',
      validated('call:dtmf', callDtmfSchema, log, async (request) => {
        await this.#limits.take(this.#limits.keypadPerSocket, socket.id);
        this.#calls.sendTones(socket, request.callId, request.digits);
        return null;
      }),
    );
    socket.on('disconnect', () => this.#calls.disconnected(socket));
  }

  /** A call request of a socket connected to another node, forwarded by that node. */
  runForwarded(peer: Peer, event: ForwardedCallEvent, payload: unknown): Promise<unknown> {
    return runOperation(this.#operations[event], event, peer, payload);
  }

  /** Runs a request here when this node runs the call, else on the node that does. */
  async #route(socket: VoxSocket, event: ForwardedCallEvent, request: CallIdRequest) {
    const owner =
      this.#forwarding && !this.#calls.runs(request.callId)
        ? await this.#forwarding.ownerOf(request.callId)
        : undefined;
    return owner && this.#forwarding
      ? this.#forwarding.forward(owner, event, socket, request)
      : this.#operations[event].run(socket, request);
  }

  /** Each request about a call the socket is in (the desk that answers, mostly). */
  readonly #operations: Record<ForwardedCallEvent, Operation<Peer, CallIdRequest>> = {
    'call:answer': operation(answerCallSchema, (peer, request) =>
      this.#calls.answer(peer, request.callId, request.video),
    ),
    // Group replies: another recipient of the email joins its running call.
    'call:join': operation(joinCallSchema, async (peer, request) =>
      this.#calls.join(peer, {
        link: await this.#callerLink(peer, request.token),
        callId: request.callId,
        callerName: request.callerName,
        video: request.video,
      }),
    ),
    'call:decline': operation(callIdRequestSchema, (peer, request) => {
      this.#calls.decline(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:sendToPhone': operation(callIdRequestSchema, (peer, request) => {
      this.#calls.sendToPhone(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:hangup': operation(callIdRequestSchema, (peer, request) => {
      this.#calls.hangup(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:recipients': operation(callIdRequestSchema, (peer, request) =>
      this.#calls.recipients(peer, request.callId),
    ),
    'call:invite': operation(inviteToCallSchema, (peer, request) =>
      this.#calls.invite(peer, request.callId, request.linkId),
    ),
  };

  /** A reply page's link, once the call limits (per address, per link) allow one more call. */
  async #callerLink(socket: Peer, token: string): Promise<Link> {
    await this.#limits.take(this.#limits.callStartPerIp, clientAddress(socket));
    await this.#limits.take(this.#limits.callStartPerLink, hashToken(token));
    const link = await this.#links.findByToken(token);
    if (!link) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
    return link;
  }
}

// The call events, from the reply page (start, join, hang up) and the desk app
// (answer, decline, send to phone, hang up, the email's recipients, invite)
// and keypad tones to a phone; a reply page resuming its call after its node
// died. Starts and joins are rate-limited per IP and per link. With several
// nodes, a new call runs on the node placement picks and requests about a
// call another node runs are forwarded to it (forwarding.ts).
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
  /** This node's pages whose call:start is being placed on another node. */
  readonly #placing = new Set<string>();

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
    // A page whose connection dropped (its node died) takes its call back here.
    socket.on(
      'call:resume',
      validated('call:resume', resumeCallSchema, log, async (request) => {
        await this.#limits.take(this.#limits.callResumePerIp, clientAddress(socket));
        // One node: the call ended when the page's connection dropped.
        if (!this.#forwarding) throw new RequestError(ErrorCode.NotFound, 'the call ended');
        return this.#forwarding.resume(socket, request);
      }),
    );
    // The call requests, run wherever their call runs (a new call: where placement puts it).
    for (const event of FORWARDED_CALL_EVENTS) {
      const { schema } = this.#operations[event];
      socket.on(
        event,
        validated(event, schema, log, (request) => this.#route(socket, event, request)),
      );
    }
    socket.on('disconnect', () => this.#calls.disconnected(socket));
  }

  /** A call request of a socket connected to another node, forwarded by that node. */
  runForwarded(peer: Peer, event: ForwardedCallEvent, payload: unknown): Promise<unknown> {
    return runOperation(this.#operations[event], event, peer, payload);
  }

  /** Runs a request here, or on the node that runs (or is to run) its call. */
  async #route(socket: VoxSocket, event: ForwardedCallEvent, request: unknown) {
    const forwarding = this.#forwarding;
    if (!forwarding) return this.#operations[event].run(socket, request);
    if (event === 'call:start') return this.#placeCall(forwarding, socket, request);
    const { callId } = request as CallIdRequest;
    const owner = this.#calls.runs(callId) ? undefined : await forwarding.ownerOf(callId);
    return owner
      ? forwarding.forward(owner, event, socket, request)
      : this.#operations[event].run(socket, request);
  }

  /**
   * A new call from a page of this node, on the node placement picks. One
   * call per page: the node running it checks its own calls, and this one
   * the page's calls elsewhere (being placed, or running).
   */
  async #placeCall(forwarding: Forwarding, socket: VoxSocket, request: unknown) {
    if (this.#placing.has(socket.id) || forwarding.mediaHomeOf(socket.id)) {
      throw new RequestError(ErrorCode.Forbidden, 'this page is already in a call');
    }
    this.#placing.add(socket.id);
    try {
      const node = await forwarding.placeCall();
      return node
        ? await forwarding.forward(node, 'call:start', socket, request)
        : await this.#operations['call:start'].run(socket, request);
    } finally {
      this.#placing.delete(socket.id);
    }
  }

  /** Each call request of a socket (the reply page's and the desk's). */
  readonly #operations: Record<ForwardedCallEvent, Operation<Peer>> = {
    // The call runs where it starts: the least-loaded media node (ADR 017).
    'call:start': operation(startCallSchema, async (peer, request) =>
      this.#calls.start(peer, {
        link: await this.#callerLink(peer, request.token),
        callerName: request.callerName,
        video: request.video,
      }),
    ),
    'call:dtmf': operation(callDtmfSchema, async (peer, request) => {
      await this.#limits.take(this.#limits.keypadPerSocket, peer.id);
      this.#calls.sendTones(peer, request.callId, request.digits);
      return null;
    }),
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

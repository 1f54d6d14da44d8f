// The call events, from the reply page (start, join, hang up) and the desk app
// (answer, decline, send to phone, hang up, the email's recipients, invite)
// and keypad tones to a phone; a reply page resuming its call after its node
// died. Starts and joins are rate-limited per IP and per link, and one page
// is in one call at most (OneCallPerPage, below). Each request is an
// operation run on this node for a peer; with several nodes the cluster
// layer says where each socket's requests run (forwarding.ts).
import { ErrorCode } from '../../protocol/errors.js';
import {
  answerCallSchema,
  callDtmfSchema,
  callIdRequestSchema,
  resumeCallSchema,
  startCallSchema,
  type CallIdRequest,
  type ResumeCallResult,
} from '../../protocol/call.js';
import { inviteToCallSchema, joinCallSchema } from '../../protocol/group.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { hashToken } from '../security/tokens.js';
import type { Link, LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import {
  CALL_EVENTS,
  callEndedBy,
  callIdOf,
  type CallEvent,
  type CallRoutes,
} from './forwarding.js';
import type { Peer } from '../calls/peer.js';
import type { VoxSocket } from './typed-server.js';
import { operation, type Operation } from './forwardable-operation.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';
import type { CallbackTicket } from './callback-tickets.js';

/** The sender's call-backs, as a page answering one starts its call (callback-handlers.ts). */
export interface CallbackStarts {
  read(ticket: string, link: Link): CallbackTicket;
  stillOpen(ticket: CallbackTicket): Promise<boolean>;
  started(ticket: CallbackTicket): Promise<void>;
}

export class CallHandlers {
  readonly #orchestrator: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;
  readonly #pages = new OneCallPerPage();
  readonly #callbacks: CallbackStarts | undefined;

  constructor(
    orchestrator: CallOrchestrator,
    links: LinkStore,
    limits: RateLimits,
    logger: Logger,
    callbacks?: CallbackStarts,
  ) {
    this.#callbacks = callbacks;
    this.#orchestrator = orchestrator;
    this.#links = links;
    this.#limits = limits;
    this.#logger = logger.child({ component: 'call-events' });
  }

  /** Registers a socket's call requests, run by `routes` (one node: all here). */
  attach(socket: VoxSocket, routes: CallRoutes = this.#here(socket)): void {
    const log = this.#logger;
    this.#pages.attach(socket);
    // A page whose connection dropped (its node died) takes its call back here.
    socket.on(
      'call:resume',
      validated('call:resume', resumeCallSchema, log, async (request) => {
        // Limited before anything else: each try reads the directory and may ask other nodes.
        await this.#limits.take(this.#limits.callResumePerIp, clientAddress(socket));
        return this.#pages.resumed(socket, await routes.resume(request));
      }),
    );
    for (const event of CALL_EVENTS) {
      socket.on(
        event,
        validated(event, this.operations[event].schema, log, (request) =>
          this.#request(socket, event, request, () => routes.call(event, request)),
        ),
      );
    }
    socket.on('disconnect', () => this.#orchestrator.disconnected(socket));
  }

  /** One node: every request runs here, and a dropped page's call has ended. */
  #here(socket: VoxSocket): CallRoutes {
    return {
      call: (event, request) => this.operations[event].run(socket, request),
      resume: () => Promise.reject(new RequestError(ErrorCode.NotFound, 'the call ended')),
    };
  }

  /**
   * A call request, through the one-call-per-page rule: a start or a join
   * puts the page in a call, its hang-up takes it out.
   */
  #request(
    socket: VoxSocket,
    event: CallEvent,
    request: unknown,
    run: () => Promise<unknown>,
  ): Promise<unknown> {
    if (event === 'call:start' || event === 'call:join') return this.#pages.enter(socket, run);
    if (event === 'call:hangup')
      return this.#pages.hangUp(socket, (request as CallIdRequest).callId, run);
    return run();
  }

  /** Each call request, run on this node for a peer (a socket here, or one of another node). */
  readonly operations: Readonly<Record<CallEvent, Operation<Peer>>> = {
    // The call runs where it starts: the least-loaded media node (ADR 017).
    'call:start': operation(startCallSchema, async (peer, request) => {
      const link = await this.#callerLink(peer, request.token);
      // Answering the sender's call-back: the call rings the desk that called (ADR 024).
      const callback = request.callback ? await this.#callback(request.callback, link) : undefined;
      const started = await this.#orchestrator.start(peer, {
        link,
        callerName: request.callerName,
        video: request.video,
        ...(callback ? { callback } : {}),
      });
      if (callback)
        this.#callbacks
          ?.started(callback)
          .catch((error: unknown) =>
            this.#logger.error(
              { err: error, callId: started.callId },
              'call-back request not closed',
            ),
          );
      return started;
    }),
    'call:dtmf': operation(callDtmfSchema, async (peer, request) => {
      await this.#limits.take(this.#limits.keypadPerSocket, peer.id);
      this.#orchestrator.sendTones(peer, request.callId, request.digits);
      return null;
    }),
    'call:answer': operation(answerCallSchema, (peer, request) =>
      this.#orchestrator.answer(peer, request.callId, request.video),
    ),
    // Group replies: another recipient of the email joins its running call.
    'call:join': operation(joinCallSchema, async (peer, request) =>
      this.#orchestrator.join(peer, {
        link: await this.#callerLink(peer, request.token),
        callId: request.callId,
        callerName: request.callerName,
        video: request.video,
      }),
    ),
    'call:decline': operation(callIdRequestSchema, (peer, request) => {
      this.#orchestrator.decline(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:sendToPhone': operation(callIdRequestSchema, (peer, request) => {
      this.#orchestrator.sendToPhone(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:hangup': operation(callIdRequestSchema, (peer, request) => {
      this.#orchestrator.hangup(peer, request.callId);
      return Promise.resolve(null);
    }),
    'call:recipients': operation(callIdRequestSchema, (peer, request) =>
      this.#orchestrator.recipients(peer, request.callId),
    ),
    'call:invite': operation(inviteToCallSchema, (peer, request) =>
      this.#orchestrator.invite(peer, request.callId, request.linkId),
    ),
  };

  /** The call-back a page answers with its ticket, while its request is open. */
  async #callback(ticket: string, link: Link): Promise<CallbackTicket> {
    const read = this.#callbacks?.read(ticket, link);
    if (!read || !(await this.#callbacks?.stillOpen(read)))
      throw new RequestError(ErrorCode.Forbidden, 'this call-back is over: call again');
    return read;
  }

  /** A reply page's link, once the call limits (per address, per link) allow one more call. */
  async #callerLink(socket: Peer, token: string): Promise<Link> {
    await this.#limits.take(this.#limits.callStartPerIp, clientAddress(socket));
    await this.#limits.take(this.#limits.callStartPerLink, hashToken(token));
    const link = await this.#links.findByToken(token);
    if (!link) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
    return link;
  }
}

/** A page of this node in a call (or about to be). */
interface PageCall {
  /** Undefined while the call is being started or joined. */
  callId: string | undefined;
  /** Calls that ended for the page meanwhile (their end may overtake a forwarded answer). */
  endedMeanwhile: Set<string>;
}

/**
 * One call per reply page, for the calls of every node. Decided on the
 * page's own node, the one place that sees all its requests and every event
 * ending its call, wherever that call runs. A page is in a call from the
 * moment it asks to start or join one (two requests at once cannot both
 * pass) until it hangs up, the call ends for it, or it goes.
 */
class OneCallPerPage {
  readonly #pages = new Map<string, PageCall>();

  attach(socket: VoxSocket): void {
    socket.onAnyOutgoing((event: string, payload: unknown) => {
      const page = this.#pages.get(socket.id);
      const ended = page && callEndedBy(event, payload);
      if (!page || !ended) return;
      if (page.callId === ended) this.#pages.delete(socket.id);
      else if (page.callId === undefined) page.endedMeanwhile.add(ended);
    });
    socket.on('disconnect', () => this.#pages.delete(socket.id));
  }

  /** Runs a start or a join, unless the page is in a call; the page is in the call it answers. */
  async enter(socket: VoxSocket, run: () => Promise<unknown>): Promise<unknown> {
    if (this.#pages.has(socket.id)) {
      throw new RequestError(ErrorCode.Forbidden, 'this page is already in a call');
    }
    // Claimed before the first await.
    const page: PageCall = { callId: undefined, endedMeanwhile: new Set() };
    this.#pages.set(socket.id, page);
    let callId: string | undefined;
    try {
      const result = await run();
      callId = callIdOf(result);
      return result;
    } finally {
      // Unless the page has gone meanwhile (its entry with it).
      if (this.#pages.get(socket.id) === page) {
        if (callId !== undefined && !page.endedMeanwhile.has(callId)) page.callId = callId;
        else this.#pages.delete(socket.id);
      }
    }
  }

  /** The page took its call back (call:resume). */
  resumed(socket: VoxSocket, result: ResumeCallResult): ResumeCallResult {
    if (socket.connected) {
      this.#pages.set(socket.id, { callId: result.callId, endedMeanwhile: new Set() });
    }
    return result;
  }

  /** Runs a hang-up: once done, the page has left that call (it may call again). */
  async hangUp(socket: VoxSocket, callId: string, run: () => Promise<unknown>): Promise<unknown> {
    const result = await run();
    if (this.#pages.get(socket.id)?.callId === callId) this.#pages.delete(socket.id);
    return result;
  }
}

// A reply page taking its call back (call:resume), and this node taking over
// the call of a node that died: the flow is drawn in call-routing.ts. Part of
// the routing layer.
import {
  callIdRequestSchema,
  type ResumeCallRequest,
  type ResumeCallResult,
} from '../../protocol/call.js';
import type { BusRequest, CallSnapshot } from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CallDirectory } from '../calls/call-directory.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Peer } from '../calls/peer.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { callIdOf } from '../realtime/forwarding.js';
import type { VoxServer, VoxSocket } from '../realtime/typed-server.js';
import { hashToken } from '../security/tokens.js';
import type { CallForwarding } from './call-forwarding.js';
import type { NodeBus } from './node-bus.js';
import type { NodeWatch } from './node-watch.js';

/** Sent to an answering device's node: its call runs on the sender now. */
export const CALL_MOVED = 'call:moved';
/** Sent to a call's former node (taken for dead): let it go. */
export const CALL_TAKEN = 'call:taken';

export interface CallTakeoverParts {
  io: VoxServer;
  bus: NodeBus;
  directory: CallDirectory;
  forwarding: CallForwarding;
  nodes: NodeWatch;
  orchestrator: CallOrchestrator;
  /** Whether this node has a live media worker (a call can be taken over here). */
  hostsMedia: () => boolean;
  logger: Logger;
}

export class CallTakeover {
  readonly #io: VoxServer;
  readonly #bus: NodeBus;
  readonly #directory: CallDirectory;
  readonly #forwarding: CallForwarding;
  readonly #nodes: NodeWatch;
  readonly #orchestrator: CallOrchestrator;
  readonly #hostsMedia: () => boolean;
  readonly #log: Logger;

  constructor(parts: CallTakeoverParts) {
    this.#io = parts.io;
    this.#bus = parts.bus;
    this.#directory = parts.directory;
    this.#forwarding = parts.forwarding;
    this.#nodes = parts.nodes;
    this.#orchestrator = parts.orchestrator;
    this.#hostsMedia = parts.hostsMedia;
    this.#log = parts.logger;
  }

  /** A reply page of this node takes back its call, wherever it runs or is to run now. */
  resume(socket: VoxSocket, request: ResumeCallRequest): Promise<ResumeCallResult> {
    return this.#resume(socket, request, async (node) =>
      resumeResult(await this.#forwarding.forward(node, 'call:resume', socket, request)),
    );
  }

  /** Another node's page, whose call:resume that node sent here: it runs here or nowhere. */
  resumeHere(peer: Peer, request: ResumeCallRequest): Promise<ResumeCallResult> {
    return this.#resume(peer, request);
  }

  /**
   * Takes a page back into its call: where the call runs, if that node is
   * alive; else here, taking the call over from the node that died (on a
   * node without media workers: on the node placement picks). `forwardTo`
   * sends the request on; only the page's own node forwards.
   */
  async #resume(
    peer: Peer,
    request: ResumeCallRequest,
    forwardTo?: (node: string) => Promise<ResumeCallResult>,
  ): Promise<ResumeCallResult> {
    const { callId } = request;
    const tokenHash = hashToken(request.resumeToken);
    // Twice at most: a node that lost the takeover race follows the winner.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { node, snapshot } = await this.#resumable(request);
      if (node === this.#bus.nodeId) return this.#orchestrator.reattach(peer, callId, tokenHash);
      if (!(await this.#hasGone(node))) {
        if (!forwardTo) throw new RequestError(ErrorCode.Conflict, 'the call runs on another node');
        return forwardTo(node);
      }
      if (!this.#hostsMedia()) {
        const host = await this.#forwarding.placeCall(new Set([node]));
        if (!host || !forwardTo) {
          throw new RequestError(ErrorCode.MediaUnavailable, 'no node can take the call over');
        }
        return forwardTo(host);
      }
      if (await this.#directory.takeOver(callId, node, snapshot)) {
        return this.#takeOver(peer, node, snapshot);
      }
    }
    throw new RequestError(ErrorCode.NotFound, 'the call ended');
  }

  /** The call's node and snapshot, if the token proves the page placed it and it can go on. */
  async #resumable(request: ResumeCallRequest): Promise<{ node: string; snapshot: CallSnapshot }> {
    const entry = await this.#directory.entry(request.callId);
    const snapshot = entry?.snapshot;
    // The same answer for a wrong token as for no call: the id alone proves nothing.
    if (!entry || !snapshot || hashToken(request.resumeToken) !== snapshot.resumeTokenHash) {
      throw new RequestError(ErrorCode.NotFound, 'the call ended');
    }
    if (snapshot.phone) {
      throw new RequestError(ErrorCode.NotFound, 'the call ended: the phone leg was lost');
    }
    return { node: entry.node, snapshot };
  }

  /** Whether a node has died: nobody listens on its bus channel, or its heartbeat expired. */
  async #hasGone(node: string): Promise<boolean> {
    const [gone, alive] = await Promise.all([this.#bus.gone([node]), this.#bus.alive([node])]);
    return gone.has(node) || !alive.has(node);
  }

  /** This node runs the call from now on (the directory names it already). */
  async #takeOver(peer: Peer, from: string, snapshot: CallSnapshot): Promise<ResumeCallResult> {
    const callId = snapshot.incoming.callId;
    this.#log.warn({ callId, from }, 'taking over a call from a node that died');
    // A page of this node: its media is here from now on, not on the dead node
    // (node watching would otherwise end its call when that node's heartbeat expires).
    this.#forwarding.leaveHome(peer.id);
    // Should the node only have stalled, it lets the call go at once (not at its next refresh).
    this.#bus
      .request(from, CALL_TAKEN, { id: peer.id, data: {} }, { callId })
      .catch(() => undefined);
    const answer = snapshot.answer;
    // A desk connected to the dead node went with it.
    const answerer =
      answer && answer.node !== from
        ? await this.#moveAnswerer(callId, snapshot.accountId, answer)
        : undefined;
    return this.#orchestrator.resume(peer, snapshot, answerer);
  }

  /**
   * The answering device's socket, its node told that the call runs here now
   * (before the device hears of its new room, so its media requests come
   * here); undefined if it has gone or its call ended meanwhile.
   */
  async #moveAnswerer(
    callId: string,
    accountId: number,
    answer: NonNullable<CallSnapshot['answer']>,
  ): Promise<Peer | undefined> {
    if (answer.node === this.#bus.nodeId) {
      if (this.#forwarding.homeOf(answer.peerId)?.callId !== callId) return undefined;
      this.#forwarding.leaveHome(answer.peerId);
      return this.#io.sockets.sockets.get(answer.peerId);
    }
    try {
      await this.#bus.request(answer.node, CALL_MOVED, { id: answer.peerId, data: {} }, { callId });
    } catch (error) {
      this.#log.warn({ err: error, callId }, 'the answering device of a call taken over is gone');
      return undefined;
    }
    return this.#nodes.peerFor(answer.node, answer.peerId, {
      accountId,
      deviceId: answer.deviceId,
    });
  }

  /** Another node took over the call this node's socket answered (call:moved): follow it there. */
  callMoved(request: BusRequest): null {
    const { callId } = callIdRequestSchema.parse(request.payload);
    const socketId = request.peer.id;
    if (
      this.#forwarding.homeOf(socketId)?.callId !== callId ||
      !this.#io.sockets.sockets.has(socketId)
    ) {
      throw new RequestError(ErrorCode.NotFound, 'that device is no longer in the call');
    }
    this.#forwarding.moveHome(socketId, request.from, callId);
    return null;
  }

  /** The node that took over a call of this one (taken for dead) says so: let it go. */
  callTaken(request: BusRequest): null {
    this.#orchestrator.letGo(callIdRequestSchema.parse(request.payload).callId);
    return null;
  }
}

/** What a forwarded call:resume answered (the call's node ran it). */
function resumeResult(value: unknown): ResumeCallResult {
  if (callIdOf(value) === undefined) {
    throw new RequestError(ErrorCode.Internal, 'unreadable resume answer');
  }
  return value as ResumeCallResult;
}

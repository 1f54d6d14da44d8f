// Requests about calls another node runs (several nodes, one Redis).
//
// A call lives on the node its caller reached: its ring plan, its media room
// and its record are there. A desk app connected to another node is rung
// through the Socket.IO adapter; what it then asks about that call (answer,
// decline, hang up, its media transports) is forwarded over the NodeBus to
// the call's node, which acts for it through a RemotePeer. Every transition
// of a call therefore happens on one node's event loop, in arrival order:
// two devices on two nodes answering at once are serialised there, and the
// first answer wins.
//
//   this node (the socket's)                 the call's node
//   call:answer ─ ownerOf(callId) ─ request ──> CallHandlers.runForwarded(RemotePeer)
//   media:*     ─ mediaHomeOf(socket) ─ request ──> MediaSignaling.runForwarded(peer id)
//   disconnect  ─ peer:gone ──────────────────> orchestrator.disconnected(RemotePeer)
//
// When a call's node dies, its caller's page asks for the call back
// (call:resume, with the token only that page holds): after reconnecting to
// another node if its own node died, or over the same connection when told
// the call's node has gone (call:lost). If the call's node still listens on
// the bus, the page goes back into the call there; else this node takes the
// call over in the directory (compare-and-set: one node wins), tells the
// answering device's node where the call runs now, and runs it in a new room.
//
//   page ─ call:resume ─> this node: nobody listens on the call's bus channel
//                         directory.takeOver(callId, dead → this node)
//                         ─ call:moved ─> the desk's node (its media requests follow)
//                         orchestrator.resume: new room; page and desk set media up there
//
// Over the ~400-line rule (about 450 lines): issue 17 splits it into
// forwarding, takeover and node watching, together with the call core it
// is tied to (the handlers' late `serve()`).
import {
  callIdRequestSchema,
  FINAL_CALLER_STAGES,
  resumeCallSchema,
  type CallEnded,
  type ResumeCallRequest,
  type ResumeCallResult,
} from '../../protocol/call.js';
import type { BusRequest, CallSnapshot } from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CallDirectory } from '../calls/call-directory.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { CallHandlers } from '../realtime/call-handlers.js';
import {
  FORWARDED_CALL_EVENTS,
  FORWARDED_MEDIA_EVENTS,
  type ForwardedCallEvent,
  type ForwardedEvent,
  type ForwardedMediaEvent,
  type Forwarding,
} from '../realtime/forwarding.js';
import type { MediaSignaling } from '../realtime/media-signaling.js';
import type { Peer } from '../realtime/peer.js';
import { hashToken } from '../security/tokens.js';
import type { VoxServer, VoxSocket } from '../realtime/typed-server.js';
import { RequestError } from '../realtime/validated-handler.js';
import type { MediaLoad } from './media-load.js';
import type { NodeBus } from './node-bus.js';
import { RemotePeer } from './remote-peer.js';

/** Sent by a socket's node when the socket has gone. */
const PEER_GONE = 'peer:gone';
/** Sent to an answering device's node: its call runs on the sender now. */
const CALL_MOVED = 'call:moved';
/** Sent to a call's former node (taken for dead): let it go. */
const CALL_TAKEN = 'call:taken';
/** Requests after which the socket is in a media room on the node that ran them. */
const MEDIA_FOLLOWS = new Set<ForwardedEvent>([
  'call:start',
  'call:answer',
  'call:join',
  'call:resume',
]);
/** How often this node looks at the nodes its sockets' calls run on, and whose sockets are in its calls. */
const WATCH_MS = 2_000;

export interface RoutedServices {
  calls: CallHandlers;
  signaling: MediaSignaling;
  orchestrator: CallOrchestrator;
}

/** A socket of this node in a call another node runs. */
interface AnsweredElsewhere {
  node: string;
  callId: string;
  /** The socket was told its call's node has gone (call:lost). */
  lost?: boolean;
}

export class CallRouting implements Forwarding {
  readonly #io: VoxServer;
  readonly #bus: NodeBus;
  readonly #directory: CallDirectory;
  /** Undefined: new calls run on this node (MEDIA_PLACEMENT=local). */
  readonly #media: MediaLoad | undefined;
  readonly #log: Logger;
  /** This node's sockets: the calls they answered on other nodes. */
  readonly #answered = new Map<string, AnsweredElsewhere>();
  /** This node's sockets: the nodes that may hold a RemotePeer for them. */
  readonly #contacted = new Map<string, Set<string>>();
  /** Other nodes' sockets acting in this node's calls. */
  readonly #peers = new Map<string, RemotePeer>();
  #services: RoutedServices | undefined;
  readonly #watch: NodeJS.Timeout;
  /** Whether this node has a live media worker (a call can be taken over here). */
  readonly #hostsMedia: () => boolean;

  constructor(
    io: VoxServer,
    bus: NodeBus,
    directory: CallDirectory,
    media: MediaLoad | undefined,
    hostsMedia: () => boolean,
    logger: Logger,
  ) {
    this.#hostsMedia = hostsMedia;
    this.#io = io;
    this.#bus = bus;
    this.#directory = directory;
    this.#media = media;
    this.#log = logger.child({ component: 'call-routing' });
    this.#watch = setInterval(() => void this.#watchNodes(), WATCH_MS);
    this.#watch.unref();
  }

  /** Starts answering other nodes' requests with these services. */
  serve(services: RoutedServices): void {
    this.#services = services;
    this.#bus.serve((request) => this.#run(request));
  }

  async placeCall(exclude?: ReadonlySet<string>): Promise<string | undefined> {
    if (!this.#media) return undefined;
    try {
      const node = await this.#media.leastLoaded(exclude);
      return node === this.#bus.nodeId ? undefined : node;
    } catch (error) {
      this.#log.warn({ err: error }, 'could not read the media load: the call runs here');
      return undefined;
    }
  }

  async ownerOf(callId: string): Promise<string | undefined> {
    const node = await this.#directory.owner(callId);
    return node === this.#bus.nodeId ? undefined : node;
  }

  mediaHomeOf(socketId: string): string | undefined {
    return this.#answered.get(socketId)?.node;
  }

  async forward(
    node: string,
    event: ForwardedEvent,
    socket: VoxSocket,
    request: unknown,
  ): Promise<unknown> {
    const nodes = this.#contacted.get(socket.id) ?? new Set();
    nodes.add(node);
    this.#contacted.set(socket.id, nodes);
    const { accountId, deviceId, clientAddress } = socket.data;
    const result = await this.#bus.request(
      node,
      event,
      { id: socket.id, data: { accountId, deviceId, clientAddress } },
      request,
    );
    const call = isCallRequest(request) ? request : isCallRequest(result) ? result : undefined;
    if (call) this.#follow(socket, event, node, call.callId);
    return result;
  }

  /**
   * Where a socket's requests go after one ran on `node`: its call's media
   * room is there now (it started, answered, joined or resumed a call), or
   * it left its call (it hung up; it may call again). The call ending
   * otherwise is seen in what the socket is sent (attach()).
   */
  #follow(socket: VoxSocket, event: ForwardedEvent, node: string, callId: string): void {
    if (MEDIA_FOLLOWS.has(event) && socket.connected) {
      this.#answered.set(socket.id, { node, callId });
    } else if (event === 'call:hangup' && this.#answered.get(socket.id)?.callId === callId) {
      this.#answered.delete(socket.id);
    }
  }

  resume(socket: VoxSocket, request: ResumeCallRequest): Promise<ResumeCallResult> {
    return this.#resume(socket, request, async (node) =>
      resumeResult(await this.forward(node, 'call:resume', socket, request)),
    );
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
    const services = this.#services;
    if (!services) throw new RequestError(ErrorCode.Internal, 'node not ready');
    const { callId } = request;
    const tokenHash = hashToken(request.resumeToken);
    // Twice at most: a node that lost the takeover race follows the winner.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { node, snapshot } = await this.#resumable(request);
      if (node === this.#bus.nodeId) return services.orchestrator.reattach(peer, callId, tokenHash);
      if (!(await this.#hasGone(node))) {
        if (!forwardTo) throw new RequestError(ErrorCode.Conflict, 'the call runs on another node');
        return forwardTo(node);
      }
      if (!this.#hostsMedia()) {
        const host = await this.placeCall(new Set([node]));
        if (!host || !forwardTo) {
          throw new RequestError(ErrorCode.MediaUnavailable, 'no node can take the call over');
        }
        return forwardTo(host);
      }
      if (await this.#directory.takeOver(callId, node, snapshot)) {
        return this.#takeOver(peer, node, snapshot, services);
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
  async #takeOver(
    peer: Peer,
    from: string,
    snapshot: CallSnapshot,
    services: RoutedServices,
  ): Promise<ResumeCallResult> {
    const callId = snapshot.incoming.callId;
    this.#log.warn({ callId, from }, 'taking over a call from a node that died');
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
    return services.orchestrator.resume(peer, snapshot, answerer);
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
      if (this.#answered.get(answer.peerId)?.callId !== callId) return undefined;
      this.#answered.delete(answer.peerId);
      return this.#io.sockets.sockets.get(answer.peerId);
    }
    try {
      await this.#bus.request(answer.node, CALL_MOVED, { id: answer.peerId, data: {} }, { callId });
    } catch (error) {
      this.#log.warn({ err: error, callId }, 'the answering device of a call taken over is gone');
      return undefined;
    }
    return this.#peerFor(answer.node, answer.peerId, { accountId, deviceId: answer.deviceId });
  }

  /** Another node took over the call this node's socket answered: follow it there. */
  #callMoved(request: BusRequest): null {
    const { callId } = callIdRequestSchema.parse(request.payload);
    const socketId = request.peer.id;
    if (
      this.#answered.get(socketId)?.callId !== callId ||
      !this.#io.sockets.sockets.has(socketId)
    ) {
      throw new RequestError(ErrorCode.NotFound, 'that device is no longer in the call');
    }
    this.#answered.set(socketId, { node: request.from, callId });
    this.#contacted.set(socketId, (this.#contacted.get(socketId) ?? new Set()).add(request.from));
    return null;
  }

  /** Tells the nodes this socket acted on that it has gone; forgets its calls as they end. */
  attach(socket: VoxSocket): void {
    socket.onAnyOutgoing((event: string, payload: unknown) => {
      const answered = this.#answered.get(socket.id);
      if (answered && endsCall(event, payload, answered.callId)) this.#answered.delete(socket.id);
    });
    socket.on('disconnect', () => {
      const nodes = this.#contacted.get(socket.id) ?? new Set();
      this.#contacted.delete(socket.id);
      this.#answered.delete(socket.id);
      for (const node of nodes) {
        this.#bus
          .request(node, PEER_GONE, { id: socket.id, data: {} }, null)
          .catch((error: unknown) =>
            this.#log.warn({ err: error, node }, 'could not tell a node a socket has gone'),
          );
      }
    });
  }

  close(): void {
    clearInterval(this.#watch);
  }

  async #run(request: BusRequest): Promise<unknown> {
    const services = this.#services;
    if (!services) throw new RequestError(ErrorCode.Internal, 'node not ready');
    const { event } = request;
    if (event === PEER_GONE) {
      const peer = this.#peers.get(request.peer.id);
      if (peer) this.#gone(peer, services);
      return null;
    }
    if (event === CALL_MOVED) return this.#callMoved(request);
    if (event === CALL_TAKEN) {
      services.orchestrator.letGo(callIdRequestSchema.parse(request.payload).callId);
      return null;
    }
    const peer = this.#peerFor(request.from, request.peer.id, request.peer.data);
    if (event === 'call:resume') return this.#resume(peer, resumeCallSchema.parse(request.payload));
    if (isMediaEvent(event))
      return services.signaling.runForwarded(peer.id, event, request.payload);
    if (isCallEvent(event)) return services.calls.runForwarded(peer, event, request.payload);
    throw new RequestError(ErrorCode.BadRequest, `unknown forwarded event ${event}`);
  }

  #peerFor(node: string, id: string, data: BusRequest['peer']['data']): RemotePeer {
    let peer = this.#peers.get(id);
    if (!peer) {
      peer = new RemotePeer(this.#io, node, id, data);
      this.#peers.set(peer.id, peer);
    }
    return peer;
  }

  /** A socket of another node left: as if it had disconnected here. */
  #gone(peer: RemotePeer, services: RoutedServices): void {
    peer.connected = false;
    this.#peers.delete(peer.id);
    services.orchestrator.disconnected(peer);
    services.signaling.leave(peer);
  }

  /**
   * A node that died says nothing. Looked at every 2 s:
   * - nobody listens on its bus channel any more (killed): our sockets in
   *   its calls hear so at once (call:lost): a reply page resumes its call,
   *   a desk waits for the call to come back to it;
   * - its heartbeat expired (15 s; by then a page had time to come back):
   *   its sockets leave our calls, and our sockets still in its calls hear
   *   they ended.
   */
  async #watchNodes(): Promise<void> {
    const peerNodes = [...this.#peers.values()].map((peer) => peer.node);
    const callNodes = [...new Set([...this.#answered.values()].map((answered) => answered.node))];
    const nodes = [...new Set([...peerNodes, ...callNodes])];
    if (nodes.length === 0) return;
    let gone: Set<string>;
    let alive: Set<string>;
    try {
      [gone, alive] = await Promise.all([this.#bus.gone(callNodes), this.#bus.alive(nodes)]);
    } catch (error) {
      this.#log.warn({ err: error }, 'could not check the other nodes');
      return;
    }
    const services = this.#services;
    for (const peer of [...this.#peers.values()]) {
      if (!alive.has(peer.node) && services) this.#gone(peer, services);
    }
    for (const [socketId, answered] of [...this.#answered]) {
      if (!alive.has(answered.node)) {
        this.#answered.delete(socketId);
        this.#log.warn(
          { callId: answered.callId, node: answered.node },
          'the node running a call died',
        );
        const ended: CallEnded = { callId: answered.callId, by: 'system' };
        this.#io.to(socketId).emit('call:ended', ended);
      } else if (gone.has(answered.node) && !answered.lost) {
        answered.lost = true;
        this.#io.to(socketId).emit('call:lost', { callId: answered.callId });
      }
    }
  }
}

function isMediaEvent(event: string): event is ForwardedMediaEvent {
  return (FORWARDED_MEDIA_EVENTS as readonly string[]).includes(event);
}

function isCallEvent(event: string): event is ForwardedCallEvent {
  return (FORWARDED_CALL_EVENTS as readonly string[]).includes(event);
}

/** What a forwarded call:resume answered (the call's node ran it). */
function resumeResult(value: unknown): ResumeCallResult {
  if (!isCallRequest(value)) throw new RequestError(ErrorCode.Internal, 'unreadable resume answer');
  return value as ResumeCallResult;
}

/** Stages after which a reply page's call is over. */
const FINAL_STAGES = new Set<string>(FINAL_CALLER_STAGES);

/** Whether an event sent to a socket ends its call `callId`. */
function endsCall(event: string, payload: unknown, callId: string): boolean {
  if (!isCallRequest(payload) || payload.callId !== callId) return false;
  if (event === 'call:ended') return true;
  const stage = (payload as { stage?: unknown }).stage;
  return event === 'call:progress' && typeof stage === 'string' && FINAL_STAGES.has(stage);
}

function isCallRequest(value: unknown): value is { callId: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'callId' in value &&
    typeof value.callId === 'string'
  );
}

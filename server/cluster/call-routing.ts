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
//   this node (the socket's)                  the call's node
//   call:start  ─ placeCall() ───────── request ──> calls.operations (for a RemotePeer)
//   call:answer ─ ownerOf(callId) ───── request ──> calls.operations (for a RemotePeer)
//   media:*     ─ mediaHomeOf(socket) ─ request ──> signaling.operations (for its peer id)
//   disconnect  ─ peer:gone ──────────────────────> orchestrator.disconnected(RemotePeer)
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
// This layer wraps the socket handlers, whose operation tables run a request
// on this node and know nothing of other nodes: it gives each socket routes
// that pick the node a request runs on (attach), and serves other nodes'
// requests from the same tables (#serve). A single node has no such layer:
// its handlers run every request themselves. Its parts, one concept each:
// call-forwarding.ts (sending requests; where each socket's media room is),
// call-takeover.ts (call:resume; taking a dead node's call over),
// node-watch.ts (other nodes' sockets in this node's calls; nodes that died).
import { callIdRequestSchema, resumeCallSchema, type CallIdRequest } from '../../protocol/call.js';
import type { BusRequest } from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CallDirectory } from '../calls/call-directory.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Peer } from '../calls/peer.js';
import type { RoomMembership } from '../calls/room-membership.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallHandlers } from '../realtime/call-handlers.js';
import { runOperation } from '../realtime/forwardable-operation.js';
import {
  CALL_EVENTS,
  MEDIA_EVENTS,
  type CallEvent,
  type CallRoutes,
  type MediaEvent,
  type Route,
} from '../realtime/forwarding.js';
import type { MediaSignaling } from '../realtime/media-signaling.js';
import type { VoxServer, VoxSocket } from '../realtime/typed-server.js';
import { CallForwarding, PEER_GONE } from './call-forwarding.js';
import { CALL_MOVED, CALL_TAKEN, CallTakeover } from './call-takeover.js';
import type { MediaLoad } from './media-load.js';
import type { NodeBus } from './node-bus.js';
import { NodeWatch } from './node-watch.js';

/** This node's handlers, whose operations run the requests (its sockets' and other nodes'). */
export interface NodeHandlers {
  calls: CallHandlers;
  signaling: MediaSignaling;
  members: RoomMembership;
  orchestrator: CallOrchestrator;
}

/** What the cluster brings: the bus to the other nodes, and the state they share. */
export interface ClusterLinks {
  io: VoxServer;
  bus: NodeBus;
  directory: CallDirectory;
  /** Undefined: new calls run on this node (MEDIA_PLACEMENT=local). */
  media: MediaLoad | undefined;
  /** Whether this node has a live media worker (a call can be taken over here). */
  hostsMedia: () => boolean;
  logger: Logger;
}

/** Where one socket's requests run (handed to CallHandlers.attach and MediaSignaling.attach). */
export interface SocketRoutes {
  calls: CallRoutes;
  media: Route<MediaEvent>;
}

/** A device declined a ring from its notification (no socket: over HTTP, on any node). */
const RING_DECLINED = 'ring:declined';

export class CallRouting {
  readonly #handlers: NodeHandlers;
  readonly #bus: NodeBus;
  readonly #forwarding: CallForwarding;
  readonly #nodes: NodeWatch;
  readonly #takeover: CallTakeover;

  constructor(handlers: NodeHandlers, links: ClusterLinks) {
    const { io, bus, directory, hostsMedia } = links;
    const { orchestrator, members } = handlers;
    const logger = links.logger.child({ component: 'call-routing' });
    const forwarding = new CallForwarding(bus, directory, links.media, logger);
    const nodes = new NodeWatch({ io, bus, forwarding, orchestrator, members, logger });
    this.#handlers = handlers;
    this.#bus = bus;
    this.#forwarding = forwarding;
    this.#nodes = nodes;
    this.#takeover = new CallTakeover({
      io,
      bus,
      directory,
      forwarding,
      nodes,
      orchestrator,
      hostsMedia,
      logger,
    });
    // Other nodes' requests, from now on: everything they need is here.
    bus.serve((request) => this.#serve(request));
  }

  /** The routes of a socket connected here; the nodes it acted on hear when it goes. */
  attach(socket: VoxSocket): SocketRoutes {
    this.#forwarding.attach(socket);
    return {
      calls: {
        call: (event, request) => this.#routeCall(socket, event, request),
        resume: (request) => this.#takeover.resume(socket, request),
      },
      media: (event, request) => this.#routeMedia(socket, event, request),
    };
  }

  close(): void {
    this.#nodes.close();
  }

  /** A device declines a ring from its notification, on the node that runs the call. */
  async declineRing(accountId: number, deviceId: string, callId: string): Promise<void> {
    const { orchestrator } = this.#handlers;
    const node = orchestrator.runs(callId) ? undefined : await this.#forwarding.ownerOf(callId);
    if (!node) return orchestrator.declineRing(accountId, deviceId, callId);
    const peer = { id: `${RING_DECLINED}:${deviceId}`, data: { accountId, deviceId } };
    await this.#bus.request(node, RING_DECLINED, peer, { callId });
  }

  /** Runs a call request here, or on the node that runs (or is to run) its call. */
  async #routeCall(socket: VoxSocket, event: CallEvent, request: unknown): Promise<unknown> {
    const { calls, orchestrator } = this.#handlers;
    const forwarding = this.#forwarding;
    let node: string | undefined;
    if (event === 'call:start') {
      // The call runs where it starts: the least-loaded media node (ADR 017).
      node = await forwarding.placeCall();
    } else {
      const { callId } = request as CallIdRequest;
      node = orchestrator.runs(callId) ? undefined : await forwarding.ownerOf(callId);
    }
    return node
      ? forwarding.forward(node, event, socket, request)
      : calls.operations[event].run(socket, request);
  }

  /** Runs a media request here, or on the node whose room the socket is in. */
  #routeMedia(socket: VoxSocket, event: MediaEvent, request: unknown): Promise<unknown> {
    const { signaling, members } = this.#handlers;
    const home = members.has(socket.id) ? undefined : this.#forwarding.mediaHomeOf(socket.id);
    return home
      ? this.#forwarding.forward(home, event, socket, request)
      : signaling.operations[event].run(socket.id, request);
  }

  /** A request another node sent this one: about a socket of its own, or one of the routing's. */
  async #serve(request: BusRequest): Promise<unknown> {
    const { event, payload } = request;
    if (event === PEER_GONE) {
      this.#nodes.peerGone(request.peer.id);
      return null;
    }
    if (event === CALL_MOVED) return this.#takeover.callMoved(request);
    if (event === CALL_TAKEN) return this.#takeover.callTaken(request);
    if (event === RING_DECLINED) {
      const { accountId, deviceId } = request.peer.data;
      if (accountId === undefined || !deviceId)
        throw new RequestError(ErrorCode.BadRequest, 'who declines?');
      this.#handlers.orchestrator.declineRing(
        accountId,
        deviceId,
        callIdRequestSchema.parse(payload).callId,
      );
      return null;
    }
    // The calls and media code see it as any other peer.
    const peer: Peer = this.#nodes.peerFor(request.from, request.peer.id, request.peer.data);
    if (event === 'call:resume') {
      return this.#takeover.resumeHere(peer, resumeCallSchema.parse(payload));
    }
    const { calls, signaling } = this.#handlers;
    if (isMediaEvent(event))
      return runOperation(signaling.operations[event], event, peer.id, payload);
    if (isCallEvent(event)) return runOperation(calls.operations[event], event, peer, payload);
    throw new RequestError(ErrorCode.BadRequest, `unknown forwarded event ${event}`);
  }
}

function isMediaEvent(event: string): event is MediaEvent {
  return (MEDIA_EVENTS as readonly string[]).includes(event);
}

function isCallEvent(event: string): event is CallEvent {
  return (CALL_EVENTS as readonly string[]).includes(event);
}

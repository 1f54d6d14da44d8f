// The other nodes, as this node's calls and sockets see them: their sockets
// acting in this node's calls (a RemotePeer each, from their first request
// until their node says they have gone, or the node dies), and the nodes
// running calls this node's sockets are in. Part of the routing layer,
// call-routing.ts.
import type { CallEnded } from '../../protocol/call.js';
import type { BusRequest } from '../../protocol/cluster.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { RoomMembership } from '../calls/room-membership.js';
import type { Logger } from '../logger.js';
import type { VoxServer } from '../realtime/typed-server.js';
import type { CallForwarding } from './call-forwarding.js';
import type { NodeBus } from './node-bus.js';
import { RemotePeer } from './remote-peer.js';

/** How often this node looks at the nodes running its sockets' calls, and those of its calls' peers. */
const WATCH_MS = 2_000;

export interface NodeWatchParts {
  io: VoxServer;
  bus: NodeBus;
  forwarding: CallForwarding;
  orchestrator: CallOrchestrator;
  members: RoomMembership;
  logger: Logger;
}

export class NodeWatch {
  readonly #io: VoxServer;
  readonly #bus: NodeBus;
  readonly #forwarding: CallForwarding;
  readonly #orchestrator: CallOrchestrator;
  readonly #members: RoomMembership;
  readonly #log: Logger;
  /** Other nodes' sockets acting in this node's calls. */
  readonly #peers = new Map<string, RemotePeer>();
  readonly #timer: NodeJS.Timeout;

  constructor(parts: NodeWatchParts) {
    this.#io = parts.io;
    this.#bus = parts.bus;
    this.#forwarding = parts.forwarding;
    this.#orchestrator = parts.orchestrator;
    this.#members = parts.members;
    this.#log = parts.logger;
    this.#timer = setInterval(() => void this.#watchNodes(), WATCH_MS);
    this.#timer.unref();
  }

  /** The socket of another node a forwarded request came from. */
  peerFor(node: string, id: string, data: BusRequest['peer']['data']): RemotePeer {
    let peer = this.#peers.get(id);
    if (!peer) {
      peer = new RemotePeer(this.#io, node, id, data);
      this.#peers.set(peer.id, peer);
    }
    return peer;
  }

  /** Its node says a socket of another node has gone (peer:gone). */
  peerGone(id: string): void {
    const peer = this.#peers.get(id);
    if (peer) this.#gone(peer);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** A socket of another node left: as if it had disconnected here. */
  #gone(peer: RemotePeer): void {
    peer.connected = false;
    this.#peers.delete(peer.id);
    this.#orchestrator.disconnected(peer);
    this.#members.leave(peer);
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
    const callNodes = [...new Set(this.#forwarding.homes().map(([, home]) => home.node))];
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
    // Only the nodes looked at: a peer or a home may have come from another
    // node during the look (taken for dead, it would lose its call).
    const dead = (node: string): boolean => nodes.includes(node) && !alive.has(node);
    for (const peer of [...this.#peers.values()]) {
      if (dead(peer.node)) this.#gone(peer);
    }
    for (const [socketId, home] of this.#forwarding.homes()) {
      if (dead(home.node)) {
        this.#forwarding.leaveHome(socketId);
        this.#log.warn({ callId: home.callId, node: home.node }, 'the node running a call died');
        const ended: CallEnded = { callId: home.callId, by: 'system' };
        this.#io.to(socketId).emit('call:ended', ended);
      } else if (gone.has(home.node) && !home.lost) {
        home.lost = true;
        this.#io.to(socketId).emit('call:lost', { callId: home.callId });
      }
    }
  }
}

// Sending a socket's requests to the node that runs them, and remembering
// which node each socket's media room is on from then on (its media home:
// its media:* requests go there). Part of the routing layer, call-routing.ts.
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import type { CallDirectory } from '../calls/call-directory.js';
import type { Logger } from '../logger.js';
import { callEndedBy, callIdOf, type CallEvent, type MediaEvent } from '../realtime/forwarding.js';
import type { VoxSocket } from '../realtime/typed-server.js';
import type { MediaLoad } from './media-load.js';
import type { NodeBus } from './node-bus.js';

/** Sent by a socket's node when the socket has gone. */
export const PEER_GONE = 'peer:gone';

/** A socket's request run on another node; call:resume goes to a live call's node (ADR 016). */
export type ForwardedEvent = CallEvent | MediaEvent | 'call:resume';

/** Requests after which the socket is in a media room on the node that ran them. */
const MEDIA_FOLLOWS = new Set<ForwardedEvent>([
  'call:start',
  'call:answer',
  'call:join',
  'call:resume',
]);

/** Where a socket of this node has its media: in a call another node runs. */
export interface MediaHome {
  node: string;
  callId: string;
  /** The socket was told its call's node has gone (call:lost). */
  lost?: boolean;
}

export class CallForwarding {
  readonly #bus: NodeBus;
  readonly #directory: CallDirectory;
  /** Undefined: new calls run on this node (MEDIA_PLACEMENT=local). */
  readonly #media: MediaLoad | undefined;
  readonly #log: Logger;
  /** This node's sockets in calls other nodes run. */
  readonly #homes = new Map<string, MediaHome>();
  /** This node's sockets: the nodes that may hold a RemotePeer for them. */
  readonly #contacted = new Map<string, Set<string>>();

  constructor(
    bus: NodeBus,
    directory: CallDirectory,
    media: MediaLoad | undefined,
    logger: Logger,
  ) {
    this.#bus = bus;
    this.#directory = directory;
    this.#media = media;
    this.#log = logger;
  }

  /** The node a new call should run on, when that is another node (placement by media load). */
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

  /** The node running this call, when that is another node. */
  async ownerOf(callId: string): Promise<string | undefined> {
    const node = await this.#directory.owner(callId);
    return node === this.#bus.nodeId ? undefined : node;
  }

  /** The node whose media room this socket was put in, when that is another node. */
  mediaHomeOf(socketId: string): string | undefined {
    return this.#homes.get(socketId)?.node;
  }

  homeOf(socketId: string): MediaHome | undefined {
    return this.#homes.get(socketId);
  }

  /** This node's sockets with their media on another node (node watching looks at those nodes). */
  homes(): [string, MediaHome][] {
    return [...this.#homes];
  }

  /** Another node took over this socket's call: its media requests go there from now on. */
  moveHome(socketId: string, node: string, callId: string): void {
    this.#homes.set(socketId, { node, callId });
    this.#contact(socketId, node);
  }

  /** The socket's call ended (or runs here now). */
  leaveHome(socketId: string): void {
    this.#homes.delete(socketId);
  }

  /** Runs the request on `node` for the socket: resolves with its answer or its error. */
  async forward(
    node: string,
    event: ForwardedEvent,
    socket: VoxSocket,
    request: unknown,
  ): Promise<unknown> {
    // Gone during an await before this (placement): no node may keep a peer for it.
    if (!socket.connected) throw new RequestError(ErrorCode.Forbidden, 'disconnected');
    this.#contact(socket.id, node);
    const { accountId, deviceId, clientAddress } = socket.data;
    const result = await this.#bus.request(
      node,
      event,
      { id: socket.id, data: { accountId, deviceId, clientAddress } },
      request,
    );
    const callId = callIdOf(request) ?? callIdOf(result);
    if (callId !== undefined) this.#follow(socket, event, node, callId);
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
      this.#homes.set(socket.id, { node, callId });
    } else if (event === 'call:hangup' && this.#homes.get(socket.id)?.callId === callId) {
      this.#homes.delete(socket.id);
    }
  }

  #contact(socketId: string, node: string): void {
    this.#contacted.set(socketId, (this.#contacted.get(socketId) ?? new Set()).add(node));
  }

  /** Forgets a socket's media home as its call ends; tells the nodes it acted on when it goes. */
  attach(socket: VoxSocket): void {
    socket.onAnyOutgoing((event: string, payload: unknown) => {
      const home = this.#homes.get(socket.id);
      if (home && callEndedBy(event, payload) === home.callId) this.#homes.delete(socket.id);
    });
    socket.on('disconnect', () => {
      const nodes = this.#contacted.get(socket.id) ?? new Set();
      this.#contacted.delete(socket.id);
      this.#homes.delete(socket.id);
      for (const node of nodes) {
        this.#bus
          .request(node, PEER_GONE, { id: socket.id, data: {} }, null)
          .catch((error: unknown) =>
            this.#log.warn({ err: error, node }, 'could not tell a node a socket has gone'),
          );
      }
    });
  }
}

// A socket connected to another node, as the node running its call sees it:
// emits and channel joins travel through the Socket.IO Redis adapter to
// wherever the socket is; its node says when it has gone.
import type { SocketData } from '../../protocol/events.js';
import type { Peer } from '../calls/peer.js';
import type { VoxServer, VoxSocket } from '../realtime/typed-server.js';

export class RemotePeer implements Peer {
  connected = true;
  readonly id: string;
  readonly data: SocketData;
  /** The node the socket is connected to. */
  readonly node: string;
  readonly #io: VoxServer;

  constructor(io: VoxServer, node: string, id: string, data: SocketData) {
    this.#io = io;
    this.node = node;
    this.id = id;
    this.data = data;
  }

  // The same events a local socket gets, addressed by its id (a room of its own).
  readonly emit = ((event: Parameters<VoxSocket['emit']>[0], ...args: unknown[]) => {
    (this.#io.to(this.id).emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
    return true;
  }) as VoxSocket['emit'];

  join(channel: string): void {
    this.#io.in(this.id).socketsJoin(channel);
  }

  leave(channel: string): void {
    this.#io.in(this.id).socketsLeave(channel);
  }
}

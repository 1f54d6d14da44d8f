// Whoever the call and media code talks to at the other end of a socket: a
// socket connected to this node, or one connected to another node and reached
// through the Redis adapter (server/cluster/remote-peer.ts). Both are
// addressed by the socket's id, which is also its peer id in a media room.
import type { SocketData } from '../../protocol/events.js';
import type { VoxSocket } from './typed-server.js';

export interface Peer {
  readonly id: string;
  readonly data: SocketData;
  /** False once the socket has gone (its node says so, or the node died). */
  readonly connected: boolean;
  /** The node the socket is connected to, when it is not this one. */
  readonly node?: string;
  emit: VoxSocket['emit'];
  join(channel: string): Promise<void> | void;
  leave(channel: string): Promise<void> | void;
}

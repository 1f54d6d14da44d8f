// Whoever the call and media code talks to at the other end of a socket: a
// socket connected to this node, or one connected to another node and reached
// through the Redis adapter (server/cluster/remote-peer.ts). Both are
// addressed by the socket's id, which is also its peer id in a media room.
//
// The call domain names Socket.IO's own types here, never the socket layer
// (server/realtime/): the layer depends on the domain, not the other way.
import type { Server, Socket } from 'socket.io';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '../../protocol/events.js';

type TypedSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
type TypedServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export interface Peer {
  readonly id: string;
  readonly data: SocketData;
  /** False once the socket has gone (its node says so, or the node died). */
  readonly connected: boolean;
  /** The node the socket is connected to, when it is not this one. */
  readonly node?: string;
  emit: TypedSocket['emit'];
  join(channel: string): Promise<void> | void;
  leave(channel: string): Promise<void> | void;
}

/**
 * What the call domain sends to channels (channels.ts names them), on every
 * node: events to everyone in a channel, and who is in one.
 */
export type Broadcast = Pick<TypedServer, 'to' | 'in'>;

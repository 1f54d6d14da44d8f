// Who is in which media room: a socket is put in one room at most (a call's
// by the call code, a diagnostics room by media:join), moved with its call
// when a worker dies, and taken out when it leaves. The media requests
// themselves (transports, producers) are the socket layer's
// (server/realtime/media-signaling.ts), which asks here for the socket's room.
import type { types } from 'mediasoup';
import { ErrorCode } from '../../protocol/errors.js';
import type { JoinRoomResult } from '../../protocol/media.js';
import { routerMediaCodecs } from '../../media/codecs.js';
import { Room } from '../../media/room.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type { IceConfig } from '../config.js';
import { RequestError } from '../errors.js';
import { iceServersFor } from '../security/turn-credentials.js';
import type { Broadcast, Peer } from './peer.js';

type MediaKind = types.MediaKind;

/** How long a request waits for its socket's call to move off a dead worker. */
const MOVE_WAIT_MS = 5000;

interface Membership {
  room: Room;
  channel: string;
  /** What the socket may send there (carried over when the room moves). */
  kinds: readonly MediaKind[];
}

export class RoomMembership {
  readonly #io: Broadcast;
  readonly #ice: IceConfig;
  readonly #members = new Map<string, Membership>();
  /** Requests waiting for their socket's room to be replaced, by socket id. */
  readonly #waitingForMove = new Map<string, (() => void)[]>();

  constructor(io: Broadcast, ice: IceConfig) {
    this.#io = io;
    this.#ice = ice;
  }

  /**
   * A new room on the least-loaded worker of `pool`, its producers announced
   * on `channel`; media_unavailable when no worker can take it.
   */
  async createRoom(pool: WorkerPool, id: string, channel: string): Promise<Room> {
    let router;
    try {
      router = await pool.createRouter({ mediaCodecs: routerMediaCodecs });
    } catch (error) {
      throw new RequestError(
        ErrorCode.MediaUnavailable,
        `no media worker available: ${String(error)}`,
      );
    }
    const room = new Room(id, router);
    this.bindRoom(room, channel);
    return room;
  }

  /** Announces the room's producers to its members; call once per room. */
  bindRoom(room: Room, channel: string): void {
    room.on('producerAdded', (producer) => {
      this.#io.to(channel).except(producer.peerId).emit('media:newProducer', producer);
    });
    room.on('producerClosed', (producer) => {
      this.#io.to(channel).emit('media:producerClosed', { producerId: producer.producerId });
    });
    room.on('activeSpeaker', (peerId) => {
      this.#io.to(channel).emit('media:activeSpeaker', { peerId });
    });
  }

  /** Whether the socket is in a room of this node. */
  has(socketId: string): boolean {
    return this.#members.has(socketId);
  }

  /**
   * Puts a socket in a room, where it may send `kinds`; returns what its client
   * needs to set up media: the router's capabilities, the producers it can
   * consume now, its ICE servers. A socket is in one room at most.
   */
  async join(
    socket: Peer,
    room: Room,
    channel: string,
    kinds: readonly MediaKind[] = ['audio', 'video'],
  ): Promise<JoinRoomResult> {
    if (!socket.connected) throw new RequestError(ErrorCode.Forbidden, 'disconnected');
    if (this.#members.has(socket.id))
      throw new RequestError(ErrorCode.Conflict, 'already in a media room');
    this.#members.set(socket.id, { room, channel, kinds });
    await socket.join(channel);
    return this.#joined(socket, room, kinds);
  }

  /**
   * Moves a socket from its room to `room` (its worker died): same channel,
   * same kinds; the client is told to set its media up again there.
   */
  move(socket: Peer, room: Room): void {
    const membership = this.#members.get(socket.id);
    if (!membership) return;
    if (!membership.room.closed) membership.room.removePeer(socket.id);
    if (!socket.connected) {
      // Gone meanwhile: nothing to move, and no later leave() would match.
      this.#members.delete(socket.id);
      return;
    }
    membership.room = room;
    socket.emit('media:roomMoved', this.#joined(socket, room, membership.kinds));
    this.#wakeWaiters(socket.id);
  }

  /**
   * Puts a socket whose room was lost with another node (that node died)
   * into `room`: as after a move, its client sets its media up again there.
   */
  async adopt(socket: Peer, room: Room, channel: string, kinds: readonly MediaKind[]) {
    socket.emit('media:roomMoved', await this.join(socket, room, channel, kinds));
  }

  /**
   * Takes a socket out of its room (its transports close); returns that room.
   * With `only`, does nothing unless the socket is in that very room.
   */
  leave(socket: Peer, only?: Room): Room | undefined {
    const membership = this.#members.get(socket.id);
    if (!membership || (only && membership.room !== only)) return undefined;
    this.#members.delete(socket.id);
    this.#wakeWaiters(socket.id);
    void socket.leave(membership.channel);
    if (!membership.room.closed) membership.room.removePeer(socket.id);
    return membership.room;
  }

  /** The socket's room, open; if it closed, the one a move puts it in (or nothing after 5 s). */
  async openRoom(socketId: string): Promise<Room | undefined> {
    const room = this.#members.get(socketId)?.room;
    if (!room?.closed) return room;
    await new Promise<void>((resolve) => {
      const waiters = this.#waitingForMove.get(socketId) ?? [];
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // Given up on: it leaves the list, so nothing piles up for a socket never moved.
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(wake), 1);
        if (waiters.length === 0) this.#waitingForMove.delete(socketId);
        resolve();
      }, MOVE_WAIT_MS);
      waiters.push(wake);
      this.#waitingForMove.set(socketId, waiters);
    });
    const moved = this.#members.get(socketId)?.room;
    return moved?.closed ? undefined : moved;
  }

  #wakeWaiters(socketId: string): void {
    const waiters = this.#waitingForMove.get(socketId) ?? [];
    this.#waitingForMove.delete(socketId);
    for (const wake of waiters) wake();
  }

  #joined(socket: Peer, room: Room, kinds: readonly MediaKind[]): JoinRoomResult {
    return {
      routerRtpCapabilities: { ...room.rtpCapabilities },
      producers: room.addPeer(socket.id, kinds),
      iceServers: iceServersFor(this.#ice, socket.id),
      iceTransportPolicy: this.#ice.transportPolicy,
    };
  }
}

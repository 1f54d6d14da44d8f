// The media:* socket events, for whatever room a socket has been put in (a
// call's room by the orchestrator, a diagnostics room by media:join). A socket
// can only ever reach the one room it belongs to.
import { ErrorCode } from '../../protocol/errors.js';
import type { JoinRoomResult } from '../../protocol/media.js';
import type { types } from 'mediasoup';

type MediaKind = types.MediaKind;
import {
  connectTransportSchema,
  consumeSchema,
  createTransportSchema,
  produceSchema,
  closeProducerSchema,
  restartIceSchema,
  resumeConsumerSchema,
} from '../../protocol/media.js';
import { RoomRequestError, type Room } from '../../media/room.js';
import type { IceConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { iceServersFor } from '../security/turn-credentials.js';
import type { Peer } from './peer.js';
import { FORWARDED_MEDIA_EVENTS, type ForwardedMediaEvent, type Forwarding } from './forwarding.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { operation, runOperation, type Operation } from './forwardable-operation.js';
import { RequestError, validated } from './validated-handler.js';

/** How long a request waits for its socket's call to move off a dead worker. */
const MOVE_WAIT_MS = 5000;

interface Membership {
  room: Room;
  channel: string;
  /** What the socket may send there (carried over when the room moves). */
  kinds: readonly MediaKind[];
}

export class MediaSignaling {
  readonly #io: VoxServer;
  readonly #logger: Logger;
  readonly #members = new Map<string, Membership>();
  /** Requests waiting for their socket's room to be replaced, by socket id. */
  readonly #waitingForMove = new Map<string, (() => void)[]>();
  readonly #ice: IceConfig;
  readonly #forwarding: Forwarding | undefined;

  constructor(io: VoxServer, logger: Logger, ice: IceConfig, forwarding?: Forwarding) {
    this.#io = io;
    this.#logger = logger;
    this.#ice = ice;
    this.#forwarding = forwarding;
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

  /** The socket's room, open; if it closed, the one a move puts it in (or nothing after 5 s). */
  async #openRoom(socketId: string): Promise<Room | undefined> {
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

  /** Registers the media requests of one socket connected here. */
  attach(socket: VoxSocket): void {
    for (const event of FORWARDED_MEDIA_EVENTS) {
      const { schema } = this.#operations[event];
      socket.on(
        event,
        validated(event, schema, this.#logger, (request) => this.#route(socket, event, request)),
      );
    }
  }

  /** A media request of a socket connected to another node, forwarded by that node. */
  runForwarded(peerId: string, event: ForwardedMediaEvent, payload: unknown): Promise<unknown> {
    return runOperation(this.#operations[event], event, peerId, payload);
  }

  /** Runs a request here, or on the node whose room the socket is in. */
  #route(socket: VoxSocket, event: ForwardedMediaEvent, request: unknown): Promise<unknown> {
    const home = this.#members.has(socket.id)
      ? undefined
      : this.#forwarding?.mediaHomeOf(socket.id);
    return home && this.#forwarding
      ? this.#forwarding.forward(home, event, socket, request)
      : this.#operations[event].run(socket.id, request);
  }

  /** Each media request, run for a peer of this node's rooms. */
  readonly #operations: Record<ForwardedMediaEvent, Operation<string>> = {
    'media:createTransport': operation(createTransportSchema, (peerId, request) =>
      this.#inRoom(peerId, (room) =>
        room.createTransport(peerId, request.direction, request.policy),
      ),
    ),
    'media:connectTransport': operation(connectTransportSchema, async (peerId, request) => {
      await this.#inRoom(peerId, (room) =>
        room.connectTransport(peerId, request.transportId, request.dtlsParameters),
      );
      return null;
    }),
    'media:produce': operation(produceSchema, async (peerId, request) => ({
      producerId: await this.#inRoom(peerId, (room) =>
        room.produce(peerId, request.transportId, request.kind, request.rtpParameters),
      ),
    })),
    'media:consume': operation(consumeSchema, (peerId, request) =>
      this.#inRoom(peerId, (room) =>
        room.consume(peerId, request.transportId, request.producerId, request.rtpCapabilities),
      ),
    ),
    'media:resumeConsumer': operation(resumeConsumerSchema, async (peerId, request) => {
      await this.#inRoom(peerId, (room) => room.resumeConsumer(peerId, request.consumerId));
      return null;
    }),
    'media:closeProducer': operation(closeProducerSchema, async (peerId, request) => {
      await this.#inRoom(peerId, (room) => {
        room.closeProducer(peerId, request.producerId);
        return Promise.resolve();
      });
      return null;
    }),
    'media:restartIce': operation(restartIceSchema, async (peerId, request) => ({
      iceParameters: await this.#inRoom(peerId, (room) =>
        room.restartIce(peerId, request.transportId),
      ),
    })),
  };

  /** Runs an operation in the peer's room, following the room if its worker died meanwhile. */
  async #inRoom<T>(peerId: string, operation: (room: Room) => Promise<T>): Promise<T> {
    // Its worker just died: the call is being moved to a new room; wait for it.
    const room = await this.#openRoom(peerId);
    if (!room) throw new RequestError(ErrorCode.Forbidden, 'join a room first');
    try {
      return await attempt(room, operation);
    } catch (error) {
      // The worker died during the request: once the call has moved, try there.
      const moved = room.closed ? await this.#openRoom(peerId) : undefined;
      if (!moved || moved === room) throw error;
      return attempt(moved, operation);
    }
  }
}

/** Room errors are the client's (unknown ids, wrong kinds): told as bad requests. */
async function attempt<T>(room: Room, operation: (room: Room) => Promise<T>): Promise<T> {
  try {
    return await operation(room);
  } catch (error) {
    if (error instanceof RoomRequestError)
      throw new RequestError(ErrorCode.BadRequest, error.message);
    throw error;
  }
}

// Diagnostics rooms (DIAGNOSTICS_ROOMS=1): named media rooms that any page can
// join, so an operator or a user can check that audio flows through this
// server's SFU (two browsers open /diag?room=NAME and hear each other). Calls
// use rooms the orchestrator creates instead; these exist for checks only.
import {
  joinRoomSchema,
  connectTransportSchema,
  consumeSchema,
  createTransportSchema,
  produceSchema,
  resumeConsumerSchema,
} from '../../protocol/media.js';
import { ErrorCode } from '../../protocol/errors.js';
import { routerMediaCodecs } from '../../media/codecs.js';
import { Room, RoomRequestError, type RoomNetwork } from '../../media/room.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type { Logger } from '../logger.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { RequestError, validated } from './validated-handler.js';

const MAX_ROOMS = 20;
const MAX_PEERS_PER_ROOM = 8;

export class DiagnosticsRooms {
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #pool: WorkerPool;
  readonly #network: RoomNetwork;
  readonly #io: VoxServer;
  readonly #logger: Logger;

  constructor(io: VoxServer, pool: WorkerPool, network: RoomNetwork, logger: Logger) {
    this.#io = io;
    this.#pool = pool;
    this.#network = network;
    this.#logger = logger.child({ component: 'diagnostics-rooms' });
  }

  /** Registers the media:* handlers on one socket. */
  attach(socket: VoxSocket): void {
    const log = this.#logger;
    const peerId = socket.id;
    let joined: Room | undefined;
    const inRoom = (): Room => {
      if (!joined || joined.closed)
        throw new RequestError(ErrorCode.Forbidden, 'join a room first');
      return joined;
    };
    const roomCall = async <T>(operation: () => Promise<T>): Promise<T> => {
      try {
        return await operation();
      } catch (error) {
        if (error instanceof RoomRequestError)
          throw new RequestError(ErrorCode.BadRequest, error.message);
        throw error;
      }
    };

    socket.on(
      'media:join',
      validated('media:join', joinRoomSchema, log, async ({ room: name }) => {
        if (socket.data.roomName) throw new RequestError(ErrorCode.Forbidden, 'already in a room');
        socket.data.roomName = name;
        const room = await this.#room(name).catch((error: unknown) => {
          socket.data.roomName = undefined;
          throw error;
        });
        if (room.peerCount >= MAX_PEERS_PER_ROOM) {
          socket.data.roomName = undefined;
          throw new RequestError(ErrorCode.Forbidden, 'room is full');
        }
        joined = room;
        await socket.join(`diag:${name}`);
        const producers = room.addPeer(peerId);
        return { routerRtpCapabilities: { ...room.rtpCapabilities }, producers };
      }),
    );
    socket.on(
      'media:createTransport',
      validated('media:createTransport', createTransportSchema, log, (request) =>
        roomCall(() => inRoom().createTransport(peerId, request.policy)),
      ),
    );
    socket.on(
      'media:connectTransport',
      validated('media:connectTransport', connectTransportSchema, log, async (request) => {
        await roomCall(() =>
          inRoom().connectTransport(peerId, request.transportId, request.dtlsParameters),
        );
        return null;
      }),
    );
    socket.on(
      'media:produce',
      validated('media:produce', produceSchema, log, async (request) => {
        const producerId = await roomCall(() =>
          inRoom().produce(peerId, request.transportId, request.kind, request.rtpParameters),
        );
        return { producerId };
      }),
    );
    socket.on(
      'media:consume',
      validated('media:consume', consumeSchema, log, (request) =>
        roomCall(() =>
          inRoom().consume(
            peerId,
            request.transportId,
            request.producerId,
            request.rtpCapabilities,
          ),
        ),
      ),
    );
    socket.on(
      'media:resumeConsumer',
      validated('media:resumeConsumer', resumeConsumerSchema, log, async (request) => {
        await roomCall(() => inRoom().resumeConsumer(peerId, request.consumerId));
        return null;
      }),
    );
    socket.on('disconnect', () => {
      const room = joined;
      if (!room || room.closed) return;
      room.removePeer(peerId);
      if (room.peerCount === 0) room.close();
    });
  }

  closeAll(): void {
    for (const [name, pending] of this.#rooms) {
      this.#rooms.delete(name);
      pending.then(
        (room) => room.close(),
        () => undefined,
      );
    }
  }

  #room(name: string): Promise<Room> {
    let pending = this.#rooms.get(name);
    if (!pending) {
      if (this.#rooms.size >= MAX_ROOMS) {
        return Promise.reject(new RequestError(ErrorCode.RateLimited, 'too many rooms open'));
      }
      pending = this.#createRoom(name);
      this.#rooms.set(name, pending);
      pending.catch(() => this.#rooms.delete(name));
    }
    return pending;
  }

  async #createRoom(name: string): Promise<Room> {
    let router;
    try {
      router = await this.#pool.createRouter({ mediaCodecs: routerMediaCodecs });
    } catch (error) {
      throw new RequestError(
        ErrorCode.MediaUnavailable,
        `no media worker available: ${String(error)}`,
      );
    }
    const room = new Room(name, router, this.#network);
    room.on('producerAdded', (producer) => {
      this.#io.to(`diag:${name}`).except(producer.peerId).emit('media:newProducer', producer);
    });
    room.on('producerClosed', (producer) => {
      this.#io.to(`diag:${name}`).emit('media:producerClosed', { producerId: producer.producerId });
    });
    room.once('closed', () => this.#rooms.delete(name));
    return room;
  }
}

// Diagnostics rooms (DIAGNOSTICS_ROOMS=1, ADR 004): named media rooms that any
// page can join, so an operator or a user can check that audio flows through
// this server's SFU (two browsers open /diag?room=NAME and hear each other).
import { channels } from '../calls/channels.js';
import { ErrorCode } from '../../protocol/errors.js';
import { joinRoomSchema } from '../../protocol/media.js';
import { Room } from '../../media/room.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type { Logger } from '../logger.js';
import type { RoomMembership } from '../calls/room-membership.js';
import type { VoxSocket } from './typed-server.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';

const MAX_ROOMS = 20;
const MAX_PEERS_PER_ROOM = 8;

export class DiagnosticsRooms {
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #pool: WorkerPool;
  readonly #members: RoomMembership;
  readonly #logger: Logger;

  constructor(pool: WorkerPool, members: RoomMembership, logger: Logger) {
    this.#pool = pool;
    this.#members = members;
    this.#logger = logger.child({ component: 'diagnostics-rooms' });
  }

  /** Registers media:join on one socket. */
  attach(socket: VoxSocket): void {
    socket.on(
      'media:join',
      validated('media:join', joinRoomSchema, this.#logger, async ({ room: name }) => {
        if (socket.data.roomName) throw new RequestError(ErrorCode.Forbidden, 'already in a room');
        socket.data.roomName = name;
        try {
          const room = await this.#room(name);
          if (room.peerCount >= MAX_PEERS_PER_ROOM)
            throw new RequestError(ErrorCode.Forbidden, 'room is full');
          // The check page sends the microphone only.
          return await this.#members.join(socket, room, channels.diagnostics(name), ['audio']);
        } catch (error) {
          socket.data.roomName = undefined;
          throw error;
        }
      }),
    );
    socket.on('disconnect', () => {
      if (!socket.data.roomName) return;
      const room = this.#members.leave(socket);
      if (room && !room.closed && room.peerCount === 0) room.close();
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
    const room = await this.#members.createRoom(this.#pool, name, channels.diagnostics(name));
    room.once('closed', () => this.#rooms.delete(name));
    return room;
  }
}

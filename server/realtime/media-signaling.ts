// The media:* socket events, for whatever room a socket has been put in (a
// call's room by the call code, a diagnostics room by media:join; who is in
// which room is server/calls/room-membership.ts). A socket can only ever
// reach the one room it belongs to. With several nodes, the cluster layer
// runs a socket's requests on the node its room is on (forwarding.ts).
import { ErrorCode } from '../../protocol/errors.js';
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
import type { RoomMembership } from '../calls/room-membership.js';
import type { Logger } from '../logger.js';
import { MEDIA_EVENTS, type MediaEvent, type Route } from './forwarding.js';
import type { VoxSocket } from './typed-server.js';
import { operation, type Operation } from './forwardable-operation.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';

export class MediaSignaling {
  readonly #logger: Logger;
  readonly #members: RoomMembership;

  constructor(members: RoomMembership, logger: Logger) {
    this.#members = members;
    this.#logger = logger;
  }

  /**
   * Registers the media requests of one socket connected here, run by
   * `route` (one node: all here, in the socket's room).
   */
  attach(
    socket: VoxSocket,
    route: Route<MediaEvent> = (event, request) => this.operations[event].run(socket.id, request),
  ): void {
    for (const event of MEDIA_EVENTS) {
      const { schema } = this.operations[event];
      socket.on(
        event,
        validated(event, schema, this.#logger, (request) => route(event, request)),
      );
    }
  }

  /** Each media request, run for a peer (by id) of this node's rooms. */
  readonly operations: Readonly<Record<MediaEvent, Operation<string>>> = {
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
    const room = await this.#members.openRoom(peerId);
    if (!room) throw new RequestError(ErrorCode.Forbidden, 'join a room first');
    try {
      return await attempt(room, operation);
    } catch (error) {
      // The worker died during the request: once the call has moved, try there.
      const moved = room.closed ? await this.#members.openRoom(peerId) : undefined;
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

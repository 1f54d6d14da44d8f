// A call's media room: made on the least-loaded worker, watched, and
// replaced when its worker dies. The call table decides whether a call can
// move (call-machine.ts: not with a phone tied to the room); this carries
// the move out: a new room on a live worker, and every browser in the call
// sets its media up again there (new transports, the same tracks).
import { Room } from '../../media/room.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type { Logger } from '../logger.js';
import type { CallEvent } from './call-machine.js';
import { PageCaller } from './caller.js';
import { channels } from './channels.js';
import { recipientPages, type LiveCall, type LiveCalls } from './live-call.js';
import type { RoomMembership } from './room-membership.js';

export class CallRooms {
  readonly #pool: WorkerPool;
  readonly #members: RoomMembership;
  readonly #live: LiveCalls;
  readonly #dispatch: (call: LiveCall, event: CallEvent) => boolean;
  readonly #log: Logger;

  constructor(
    parts: { pool: WorkerPool; members: RoomMembership; live: LiveCalls; logger: Logger },
    dispatch: (call: LiveCall, event: CallEvent) => boolean,
  ) {
    this.#pool = parts.pool;
    this.#members = parts.members;
    this.#live = parts.live;
    this.#log = parts.logger;
    this.#dispatch = dispatch;
  }

  /** A new room for the call, its producers announced on the call's channel. */
  async create(callId: string): Promise<Room> {
    const room = await this.#members.createRoom(this.#pool, callId, channels.call(callId));
    this.#log.info({ callId, workerPid: room.workerPid }, 'media room created');
    return room;
  }

  /** A worker that dies takes the call's router with it: the call table hears so. */
  watch(call: LiveCall): void {
    const room = call.room;
    const lost = (): void => {
      if (this.#live.isLive(call) && call.room === room)
        this.#dispatch(call, { type: 'room_lost' });
    };
    // It may have died while the call was being set up.
    if (room.closed) lost();
    else room.once('closed', lost);
  }

  /** Carries out the table's move_room: joins wait on `roomReady` meanwhile. */
  move(call: LiveCall): void {
    call.roomReady = this.#move(call).finally(() => (call.roomReady = undefined));
  }

  async #move(call: LiveCall): Promise<void> {
    const lost = call.room;
    let room: Room;
    try {
      room = await this.create(call.id);
      if (call.group) await room.detectSpeakers();
    } catch (error) {
      this.#log.error({ err: error, callId: call.id }, 'no worker to move the call to');
      this.#dispatch(call, { type: 'move_failed' });
      return;
    }
    if (!this.#live.isLive(call)) return room.close();
    call.room = room;
    this.#dispatch(call, { type: 'room_moved' });
    this.watch(call);
    for (const page of recipientPages(call)) {
      if (page instanceof PageCaller) page.moveTo(room);
    }
    if (call.answer) this.#members.move(call.answer.socket, room);
    this.#log.warn(
      { callId: call.id, from: lost.workerPid, to: room.workerPid },
      'media worker lost: call moved to a new room',
    );
  }
}

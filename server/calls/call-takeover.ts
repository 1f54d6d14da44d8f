// A reply page's call outlives the node it ran on (ADR 016). When that node
// dies, the node the page reconnects to takes the call over from its
// snapshot (resume); when only the page's own connection moved to another
// node, the call's node lets the new connection take the caller's place
// (reattach). The cluster layer (server/cluster/) decides which applies.
import type { ResumeCallResult } from '../../protocol/call.js';
import type { CallSnapshot } from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Room } from '../../media/room.js';
import type { PhoneTarget } from '../../gateway/phone-forwarding.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { AccountStore } from '../store/account-store.js';
import { answeredState, type CallEvent } from './call-machine.js';
import type { CallRecords } from './call-records.js';
import type { CallRooms } from './call-room.js';
import type { CallStarts } from './call-start.js';
import { PageCaller } from './caller.js';
import { channels } from './channels.js';
import { GroupCall } from './group-call.js';
import type { GroupReplies } from './group-replies.js';
import { callerPresent, kindsOf, type LiveCall, type LiveCalls } from './live-call.js';
import type { Peer } from './peer.js';
import type { PhoneLegs } from './phone-leg.js';
import type { RoomMembership } from './room-membership.js';

export interface CallTakeoverParts {
  live: LiveCalls;
  members: RoomMembership;
  rooms: CallRooms;
  records: CallRecords;
  starts: CallStarts;
  groups: GroupReplies;
  phones: PhoneLegs;
  accounts: AccountStore;
  numbers: { list: (accountId: number) => Promise<PhoneTarget[]> };
  deviceDirectory: DeviceDirectory;
  logger: Logger;
}

export class CallTakeover {
  readonly #parts: CallTakeoverParts;
  readonly #dispatch: (call: LiveCall, event: CallEvent) => boolean;

  constructor(parts: CallTakeoverParts, dispatch: (call: LiveCall, event: CallEvent) => boolean) {
    this.#parts = parts;
    this.#dispatch = dispatch;
  }

  /**
   * Takes over a reply page's call whose node died, from its snapshot (the
   * directory already names this node). The page, reconnected here, and the
   * device that answered set their media up again in a new room on this
   * node; a call still ringing rings on, its stages keeping their times.
   * `answerer`: the answering device's socket, wherever it is connected.
   */
  async resume(
    socket: Peer,
    snapshot: CallSnapshot,
    answerer: Peer | undefined,
  ): Promise<ResumeCallResult> {
    const { live, members, rooms, starts, groups, phones, logger } = this.#parts;
    const id = snapshot.incoming.callId;
    let room: Room | undefined;
    try {
      const account = await this.#parts.accounts.findById(snapshot.accountId);
      if (!account) throw new RequestError(ErrorCode.NotFound, 'the call ended');
      const numbers = phones.configured ? await this.#parts.numbers.list(account.id) : [];
      const connected = await starts.reachable(account.id);
      room = await rooms.create(id);
      const { call, media } = await starts.pageCall(socket, room, {
        account,
        connected,
        numbers,
        incoming: snapshot.incoming,
        group: snapshot.messageKey
          ? new GroupCall(snapshot.messageKey, snapshot.linkId)
          : undefined,
        resume: { linkId: snapshot.linkId, tokenHash: snapshot.resumeTokenHash },
      });
      // Its ring plan keeps its stages' times.
      call.startedAt = snapshot.startedAt;
      const answer = snapshot.answer;
      if (answer) {
        if (!answerer?.connected) throw new RequestError(ErrorCode.NotFound, 'the call ended');
        // Answered before the node died: it goes on as it was.
        call.state = answeredState(answer.deviceId);
        call.answer = { socket: answerer, deviceId: answer.deviceId, video: answer.video };
        call.answeredAt = answer.answeredAt;
        call.labels.set(answer.deviceId, answer.label);
        await members.adopt(answerer, room, channels.call(id), kindsOf(answer.video));
      }
      // The page may have gone during the awaits: then nobody would end the call.
      if (!socket.connected) throw new RequestError(ErrorCode.Forbidden, 'disconnected');
      live.add(call);
      rooms.watch(call);
      logger.warn({ callId: id, answered: answer !== null }, 'call taken over');
      setImmediate(() => {
        if (call.state.kind !== 'answered') return void this.#dispatch(call, { type: 'start' });
        call.caller.progress({
          callId: id,
          stage: 'connected',
          senderName: call.senderName,
          answeredAt: call.answeredAt,
        });
        groups.announce(call);
      });
      return { callId: id, media };
    } catch (error) {
      this.#abandon(id, socket, answerer, room, snapshot.answer !== null);
      throw error;
    }
  }

  /** A takeover that failed: nobody will resume the call again, so it ends here. */
  #abandon(
    id: string,
    socket: Peer,
    answerer: Peer | undefined,
    room: Room | undefined,
    answered: boolean,
  ): void {
    const { members, records } = this.#parts;
    if (room) {
      members.leave(socket, room);
      if (answerer) members.leave(answerer, room);
      room.close();
    }
    answerer?.emit('call:ended', { callId: id, by: 'system' });
    records.closed(id, answered ? 'answered' : 'cancelled');
  }

  /**
   * The page of a call running here reconnected through another node (the
   * node it was connected to died): it takes the caller's place, with new
   * transports in the same room. `tokenHash`: of the token it resumes with.
   */
  async reattach(socket: Peer, callId: string, tokenHash: string): Promise<ResumeCallResult> {
    const { live, members, groups, logger } = this.#parts;
    const call = live.get(callId);
    const page = call?.caller;
    const resumable =
      call?.resume?.tokenHash === tokenHash &&
      page instanceof PageCaller &&
      callerPresent(call) &&
      // A phone leg consumes the caller's own producer: it cannot follow a new page.
      !call.phone;
    if (!call || !resumable) throw new RequestError(ErrorCode.NotFound, 'the call ended');
    // The latest connection of the page wins; an older one still listening hears it is out.
    if (page.socketId !== socket.id) page.ended({ callId, by: 'system' });
    page.leave();
    // From now on the old connection's departure no longer ends the call.
    call.caller = new PageCaller(socket, call.room, members);
    if (call.roomReady) await call.roomReady;
    const room = call.room;
    const media = await members.join(
      socket,
      room,
      channels.call(call.id),
      kindsOf(call.incoming.video),
    );
    // It may have ended, or this page left, while it joined.
    if (!live.isLive(call) || !socket.connected) {
      members.leave(socket, room);
      if (live.isLive(call)) this.#dispatch(call, { type: 'hang_up', by: 'caller' });
      throw new RequestError(ErrorCode.NotFound, 'the call ended');
    }
    // The room it joined (a worker death may have replaced the one it claimed the call in).
    call.caller = new PageCaller(socket, room, members);
    logger.warn({ callId }, 'the caller came back to its call');
    setImmediate(() => {
      const state = call.state;
      const stage =
        state.kind === 'ringing' ? call.shape.stages[state.plan.stage]?.callerStage : 'connected';
      call.caller.progress({
        callId,
        stage: stage ?? 'ringing',
        senderName: call.senderName,
        ...(state.kind === 'answered' ? { answeredAt: call.answeredAt } : {}),
      });
      groups.announce(call);
    });
    return { callId, media };
  }
}

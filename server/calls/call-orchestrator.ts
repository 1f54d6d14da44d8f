// Runs every live call on this node: the thin shell around the call table
// (call-machine.ts). Requests from pages, desks and phones and what the
// media and SIP layers report become the table's events; the table's
// effects are carried out here or by the part they belong to:
//
//   call-start.ts     a call begins (from a page or a phone)
//   call-takeover.ts  a page's call outlives its node (resume, reattach)
//   group-replies.ts  the email's other recipients join the call
//   call-room.ts      the media room: made, watched, moved off a dead worker
//   phone-leg.ts      the ring plan's phone stage, through the SIP gateway
//   call-records.ts   the call history, the call directory, missed-call notices
//   push-rings.ts     closed desk apps rung by notification (Web Push)
//   device-comings.ts the sender's devices leaving and coming back while calls ring
//   live-call.ts      the call every part shares, and this node's live calls
//
// Each part gets the table's dispatch as a function: it never imports this
// file (mediasoup-demo's Room/Peer split: a child asks its parent).
import type {
  AnswerCallResult,
  ResumeCallResult,
  RingEndReason,
  StartCallResult,
} from '../../protocol/call.js';
import type { CallSnapshot } from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CallRecipient, GroupCallState, InviteResult } from '../../protocol/group.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type { InboundCall } from '../../gateway/inbound-call.js';
import type { PhoneTarget } from '../../gateway/phone-forwarding.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallStore } from '../store/call-store.js';
import type { DeviceStore } from '../store/device-store.js';
import type { Link, LinkStore } from '../store/link-store.js';
import type { CallDirectory } from './call-directory.js';
import { transition, type CallEffect, type CallEvent } from './call-machine.js';
import { CallRecords, type MissedCall } from './call-records.js';
import { CallRooms } from './call-room.js';
import { CallStarts, type PageStart } from './call-start.js';
import { CallTakeover } from './call-takeover.js';
import { channels } from './channels.js';
import { GroupReplies } from './group-replies.js';
import { LiveCalls, isCaller, kindsOf, recipientPages, type LiveCall } from './live-call.js';
import type { Broadcast, Peer } from './peer.js';
import { PhoneLegs, type PhoneGateway } from './phone-leg.js';
import { PushRings } from './push-rings.js';
import { followDevices } from './device-comings.js';
import type { PushRinger } from '../push/push-ringer.js';
import type { RoomMembership } from './room-membership.js';

export interface CallOrchestratorDeps {
  io: Broadcast;
  members: RoomMembership;
  pool: WorkerPool;
  presence: Presence;
  /** The sender's connected devices on every node (ranking, rings, departures). */
  deviceDirectory: DeviceDirectory;
  /** Which node runs each call, and which senders are busy, on every node. */
  callDirectory: CallDirectory;
  /** This node's name in the cluster (the call directory's). */
  nodeId: string;
  /**
   * Another node could take a call over if this one died (several nodes):
   * reply pages get a resume token. Alone, a page's dropped connection ends
   * its call, and there is nothing to resume.
   */
  resumable: boolean;
  accounts: AccountStore;
  devices: DeviceStore;
  linkStore: LinkStore;
  callStore: CallStore;
  /** The sender's forwarding numbers. */
  numbers: { list: (accountId: number) => Promise<PhoneTarget[]> };
  /** The SIP gateway, when trunks are configured. */
  gateway: PhoneGateway | undefined;
  /** Web Push, to ring installed desk apps that are closed. */
  push?: PushRinger;
  /** Told of each call nobody answered (the missed-call email). */
  onMissed?: (missed: MissedCall) => void;
  logger: Logger;
}

export class CallOrchestrator {
  readonly #deps: CallOrchestratorDeps;
  readonly #live = new LiveCalls();
  readonly #records: CallRecords;
  readonly #rooms: CallRooms;
  readonly #phones: PhoneLegs;
  readonly #groups: GroupReplies;
  readonly #starts: CallStarts;
  readonly #takeover: CallTakeover;
  readonly #pushRings: PushRings;

  constructor(deps: CallOrchestratorDeps) {
    this.#deps = deps;
    const logger = deps.logger.child({ component: 'calls' });
    const live = this.#live;
    const dispatch = (call: LiveCall, event: CallEvent): boolean => this.#dispatch(call, event);
    const records = new CallRecords({ ...deps, logger });
    const rooms = new CallRooms({ ...deps, live, logger }, dispatch);
    const phones = new PhoneLegs({ ...deps, records }, dispatch);
    const groups = new GroupReplies({ ...deps, live, records, logger }, dispatch);
    const pushRings = new PushRings({ push: deps.push, devices: deps.devices, logger });
    const parts = { ...deps, live, records, rooms, phones, groups, pushRings, logger };
    const starts = new CallStarts(parts, dispatch);
    this.#takeover = new CallTakeover({ ...parts, starts }, dispatch);
    this.#records = records;
    this.#rooms = rooms;
    this.#phones = phones;
    this.#groups = groups;
    this.#starts = starts;
    this.#pushRings = pushRings;
    followDevices(deps.deviceDirectory, live, dispatch);
    deps.callDirectory.onLost((callId) => this.letGo(callId));
  }

  /** Whether this node runs the call. */
  runs(callId: string): boolean {
    return this.#live.get(callId) !== undefined;
  }

  start(socket: Peer, request: PageStart): Promise<StartCallResult> {
    return this.#starts.fromPage(socket, request);
  }

  startFromPhone(inbound: InboundCall, email: string): Promise<void> {
    return this.#starts.fromPhone(inbound, email);
  }

  resume(
    socket: Peer,
    snapshot: CallSnapshot,
    answerer: Peer | undefined,
  ): Promise<ResumeCallResult> {
    return this.#takeover.resume(socket, snapshot, answerer);
  }

  reattach(socket: Peer, callId: string, tokenHash: string): Promise<ResumeCallResult> {
    return this.#takeover.reattach(socket, callId, tokenHash);
  }

  async answer(socket: Peer, callId: string, video: boolean): Promise<AnswerCallResult> {
    const { call, deviceId } = this.#ownCall(socket, callId);
    if (this.#live.answeredBy(socket)) {
      throw new RequestError(ErrorCode.Conflict, 'hang up the current call first');
    }
    if (!this.#dispatch(call, { type: 'answered', deviceId })) {
      throw new RequestError(ErrorCode.Conflict, 'this call is no longer ringing here');
    }
    call.answer = { socket, deviceId, video };
    this.#records.answered(call, deviceId);
    // A phone caller: the device sends with the phone's codec, and the phone is answered.
    const codec = call.caller.answererCodec;
    if (codec) socket.emit('media:sendCodec', codec);
    call.caller.connected(socket.id);
    // The device's other tabs stop ringing too.
    this.#deps.io
      .to(channels.device(call.accountId, deviceId))
      .except(socket.id)
      .emit('call:ringEnded', {
        callId,
        reason: 'answered_elsewhere',
        answeredOn: call.labels.get(deviceId) ?? 'this device',
      });
    // The room is being replaced (its worker died): join the new one.
    if (call.roomReady) await call.roomReady;
    if (!this.#live.isLive(call)) throw new RequestError(ErrorCode.NotFound, 'the call ended');
    const media = await this.#deps.members.join(
      socket,
      call.room,
      channels.call(call.id),
      kindsOf(video),
    );
    // After the ack, which tells the device the call is its own.
    setImmediate(() => this.#groups.announce(call));
    return { callId, media };
  }

  decline(socket: Peer, callId: string): void {
    const { call, deviceId } = this.#ownCall(socket, callId);
    this.declineRing(call.accountId, deviceId, callId);
  }

  /** A device declines: from its desk, or from its notification while the app is closed. */
  declineRing(accountId: number, deviceId: string, callId: string): void {
    const call = this.#live.get(callId);
    if (call?.accountId !== accountId) throw new RequestError(ErrorCode.NotFound, 'no such call');
    if (!this.#dispatch(call, { type: 'declined', deviceId })) {
      throw new RequestError(ErrorCode.Conflict, 'this call is no longer ringing here');
    }
  }

  sendToPhone(socket: Peer, callId: string): void {
    const { call, deviceId } = this.#ownCall(socket, callId);
    if (!this.#dispatch(call, { type: 'send_to_phone', deviceId })) {
      throw new RequestError(ErrorCode.Conflict, 'this call cannot be sent to a phone now');
    }
  }

  /** Keypad tones from the reply page to the phone it talks to. */
  sendTones(socket: Peer, callId: string, digits: string): void {
    const call = this.#live.get(callId);
    if (!call || !isCaller(call, socket))
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    if (call.state.kind !== 'on_phone' || !call.phone?.sendTones(digits)) {
      throw new RequestError(ErrorCode.Conflict, 'keypad tones cannot reach this call');
    }
  }

  hangup(socket: Peer, callId: string): void {
    const call = this.#live.get(callId);
    if (call?.group?.guest(socket.id)) return this.#groups.leave(call, socket.id);
    const caller = call && isCaller(call, socket);
    if (!call || (!caller && call.answer?.socket.id !== socket.id))
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    this.#dispatch(call, { type: 'hang_up', by: caller ? 'caller' : 'sender' });
  }

  /** What a reply page watching `link` sees of its email's call. */
  groupState(link: Link): GroupCallState {
    return this.#groups.state(link);
  }

  /** Another recipient of the email joins its running call from their reply page. */
  join(
    socket: Peer,
    request: { link: Link; callId: string; callerName: string; video: boolean },
  ): Promise<StartCallResult> {
    return this.#groups.join(socket, request);
  }

  /** The email's other recipients, for the sender's "Invite" (only the device in the call). */
  recipients(socket: Peer, callId: string): Promise<CallRecipient[]> {
    return this.#groups.recipients(this.#answeredBy(socket, callId));
  }

  /** Rings another recipient's open reply pages with "join the call". */
  invite(socket: Peer, callId: string, linkId: number): Promise<InviteResult> {
    return this.#groups.invite(this.#answeredBy(socket, callId), linkId);
  }

  /** A socket went away: whatever call it was part of ends (or its ring stops, or it leaves a group). */
  disconnected(socket: Peer): void {
    for (const call of this.#live.all()) {
      if (isCaller(call, socket)) this.#dispatch(call, { type: 'hang_up', by: 'caller' });
      else if (call.group?.guest(socket.id)) this.#groups.leave(call, socket.id);
      else if (call.answer?.socket.id === socket.id) {
        this.#dispatch(call, { type: 'hang_up', by: 'sender' });
      }
    }
  }

  /**
   * Another node runs this call now (this one stalled and was taken for
   * dead): its people and its record are that node's; only the local
   * remains (timers, room) go.
   */
  letGo(callId: string): void {
    const call = this.#live.get(callId);
    if (call) this.#dispatch(call, { type: 'taken_over' });
  }

  closeAll(): void {
    for (const call of this.#live.all()) this.#dispatch(call, { type: 'hang_up', by: 'system' });
  }

  #ownCall(socket: Peer, callId: string): { call: LiveCall; deviceId: string } {
    const { accountId, deviceId } = socket.data;
    const call = this.#live.get(callId);
    if (accountId === undefined || !deviceId)
      throw new RequestError(ErrorCode.Forbidden, 'not a sender device');
    if (call?.accountId !== accountId) throw new RequestError(ErrorCode.NotFound, 'no such call');
    return { call, deviceId };
  }

  /** The call this device answered, for its group requests. */
  #answeredBy(socket: Peer, callId: string): LiveCall {
    const call = this.#live.get(callId);
    if (!call || call.answer?.socket.id !== socket.id) {
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    }
    return call;
  }

  /** Feeds an event to the call's table and carries out its effects; returns whether it applied. */
  #dispatch(call: LiveCall, event: CallEvent): boolean {
    const result = transition(call.state, event, call.shape);
    if (!result.accepted) return false;
    call.state = result.state;
    for (const effect of result.effects) this.#effect(call, effect);
    return true;
  }

  #effect(call: LiveCall, effect: CallEffect): void {
    const { io } = this.#deps;
    switch (effect.type) {
      case 'ring':
        for (const deviceId of effect.deviceIds) {
          io.to(channels.device(call.accountId, deviceId)).emit('call:ring', call.incoming);
        }
        return this.#pushRings.ring(call, effect.deviceIds);
      case 'stop_ringing': {
        const answeredOn = effect.answeredBy
          ? (call.labels.get(effect.answeredBy) ?? 'another device')
          : undefined;
        for (const deviceId of effect.deviceIds) {
          io.to(channels.device(call.accountId, deviceId)).emit('call:ringEnded', {
            callId: call.id,
            reason: effect.reason satisfies RingEndReason,
            ...(answeredOn ? { answeredOn } : {}),
          });
        }
        return this.#pushRings.ended(call, effect.deviceIds, effect.reason, answeredOn);
      }
      case 'stage_timer': {
        const delay = Math.max(0, call.startedAt + effect.atMs - Date.now());
        const stage = effect.stage;
        call.timers.push(
          setTimeout(() => this.#dispatch(call, { type: 'stage_time_up', stage }), delay),
        );
        return;
      }
      case 'call_phone':
        // The phone stage has no timer of its own: it ends when the numbers say so.
        clearTimers(call);
        return this.#phones.call(call);
      case 'cancel_phone':
        return call.phone?.cancel();
      case 'caller_stage':
        return this.#callerStage(call, effect.stage);
      case 'device_answered':
        clearTimers(call);
        return this.#records.deviceAnswered(call, effect.deviceId);
      case 'clear_timers':
        return clearTimers(call);
      case 'hang_up_phone':
        return call.phone?.hangup();
      case 'caller_leaves':
        return call.caller.leave();
      case 'announce':
        return this.#groups.announce(call);
      case 'tell_ended': {
        const ended = { callId: call.id, by: effect.by };
        call.answer?.socket.emit('call:ended', ended);
        for (const page of recipientPages(call, effect.callerPresent)) {
          page.ended(ended);
          page.progress({ callId: call.id, stage: 'ended', senderName: call.senderName });
        }
        return;
      }
      case 'move_room':
        return this.#rooms.move(call);
      case 'finish':
        return this.#finish(call, effect.outcome);
      case 'release':
        this.#live.remove(call);
        clearTimers(call);
        return call.room.close();
    }
  }

  /** The caller's page (or phone) hears which step the call is at. */
  #callerStage(call: LiveCall, stage: Extract<CallEffect, { type: 'caller_stage' }>['stage']) {
    // Connected once: a phone taken off hold keeps its call's start.
    if (stage === 'connected') call.answeredAt ??= new Date().toISOString();
    call.caller.progress({
      callId: call.id,
      stage,
      senderName: call.senderName,
      ...(stage === 'connected'
        ? { answeredAt: call.answeredAt, toPhone: call.state.kind === 'on_phone' }
        : {}),
    });
  }

  /** Everyone leaves, the room closes, the record ends. */
  #finish(call: LiveCall, outcome: Extract<CallEffect, { type: 'finish' }>['outcome']): void {
    if (!this.#live.remove(call)) return;
    clearTimers(call);
    call.phone?.cancel();
    call.caller.leave();
    for (const guest of call.group?.guests ?? []) {
      guest.caller.leave();
      this.#records.guestLeft(guest);
    }
    if (call.answer) this.#deps.members.leave(call.answer.socket, call.room);
    call.room.close();
    if (call.group) this.#groups.announceGroup(call.accountId, call.group.messageKey);
    this.#records.ended(call, outcome);
  }
}

function clearTimers(call: LiveCall): void {
  for (const timer of call.timers) clearTimeout(timer);
  call.timers = [];
}

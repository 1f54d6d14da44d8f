// How a call begins: from a reply page (a link) or from a phone calling one
// of the sender's numbers. Before anything rings the sender's devices are
// ranked, the media room is made, the call is recorded and entered in the
// call directory; then the call goes live and its table gets `start`. A
// takeover (call-takeover.ts) builds a page's call the same way.
import type { StartCallResult } from '../../protocol/call.js';
import type { AccountSettings } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { JoinRoomResult } from '../../protocol/media.js';
import type { Room } from '../../media/room.js';
import type { InboundCall } from '../../gateway/inbound-call.js';
import type { PhoneTarget } from '../../gateway/phone-forwarding.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import { rankDevices, type DeviceActivity } from '../presence/ranking.js';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Account, AccountStore } from '../store/account-store.js';
import { inGroup, linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import type { CallDirectory } from './call-directory.js';
import { NEW_CALL, type CallEvent } from './call-machine.js';
import type { CallRecords } from './call-records.js';
import type { CallRooms } from './call-room.js';
import { PageCaller, PhoneCaller } from './caller.js';
import { channels } from './channels.js';
import { GroupCall } from './group-call.js';
import type { GroupReplies } from './group-replies.js';
import { kindsOf, talkingIn, type LiveCall, type LiveCalls } from './live-call.js';
import type { Peer } from './peer.js';
import type { PhoneLegs } from './phone-leg.js';
import type { PushRings } from './push-rings.js';
import { deviceStages, phoneStage, type RingStage } from './ring-plan.js';
import type { RoomMembership } from './room-membership.js';

export interface CallStartParts {
  live: LiveCalls;
  members: RoomMembership;
  rooms: CallRooms;
  records: CallRecords;
  phones: PhoneLegs;
  groups: GroupReplies;
  pushRings: PushRings;
  accounts: AccountStore;
  linkStore: LinkStore;
  numbers: { list: (accountId: number) => Promise<PhoneTarget[]> };
  deviceDirectory: DeviceDirectory;
  callDirectory: CallDirectory;
  /** Another node could take a page's call over if this one died: pages get a resume token. */
  resumable: boolean;
  logger: Logger;
}

/** The parts of a reply page's call that differ between a start and a takeover. */
type PageCallParts = Pick<LiveCall, 'incoming' | 'numbers' | 'group' | 'resume'> & {
  account: Account;
  connected: DeviceActivity[];
};

/** A reply page's call:start, its link looked up. */
export interface PageStart {
  link: Link;
  callerName: string;
  video: boolean;
  /**
   * The page answers the sender's call-back (ADR 024): only the desk device
   * that called rings (it answers at once), do-not-disturb or not, and
   * nothing is forwarded to a phone.
   */
  callback?: { deviceId: string; requestId: number };
}

export class CallStarts {
  readonly #parts: CallStartParts;
  readonly #dispatch: (call: LiveCall, event: CallEvent) => boolean;

  constructor(parts: CallStartParts, dispatch: (call: LiveCall, event: CallEvent) => boolean) {
    this.#parts = parts;
    this.#dispatch = dispatch;
  }

  async fromPage(socket: Peer, request: PageStart): Promise<StartCallResult> {
    const { link, callback } = request;
    const { rooms, records, members, phones, groups } = this.#parts;
    if (!linkUsable(link)) {
      throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
    }
    // One call per page is the socket layer's rule (realtime/call-handlers.ts).
    const running = groups.callFor(link);
    if (running) {
      const talking = talkingIn(running);
      throw new RequestError(
        ErrorCode.Conflict,
        `${talking.join(' and ')} ${talking.length === 1 ? 'is' : 'are'} already talking with ${running.senderName} about this email: join that call`,
      );
    }
    let room: Room | undefined;
    let recorded = false;
    const id = randomToken(12);
    try {
      const account = await this.#parts.accounts.findById(link.accountId);
      if (!account) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
      // The sender asked for this call: do-not-disturb does not hold it back.
      const ringing = callback
        ? { ...account, settings: { ...account.settings, doNotDisturb: false } }
        : account;
      const numbers =
        phones.configured && !callback ? await this.#parts.numbers.list(account.id) : [];
      const [reachable, senderBusy] = await this.#senderNow(account.id);
      const connected = callback
        ? reachable.filter((device) => device.deviceId === callback.deviceId)
        : reachable;
      const resumeToken = this.#parts.resumable ? randomToken(18) : undefined;
      room = await rooms.create(id);
      const { call, media } = await this.pageCall(socket, room, {
        account: ringing,
        connected,
        numbers,
        incoming: {
          callId: id,
          callerName: request.callerName,
          callerEmail: link.recipientEmail,
          subject: link.subject,
          video: request.video,
          senderBusy,
          canSendToPhone: numbers.length > 0 && phones.canCall(),
          ...(callback ? { callbackId: callback.requestId } : {}),
        },
        group: inGroup(link) ? new GroupCall(link.messageKey, link.id) : undefined,
        resume: resumeToken ? { linkId: link.id, tokenHash: hashToken(resumeToken) } : undefined,
      });
      await records.started(call, account, link.id);
      recorded = true;
      await records.open(call);
      // The caller may have left while this was set up: nothing may ring then.
      if (!socket.connected) throw new RequestError(ErrorCode.Forbidden, 'disconnected');
      this.launch(call, ringing, connected);
      // Off the ring path: the link's usage.
      records.persist('link use', [this.#parts.linkStore.recordCall(link.id)]);
      return {
        callId: id,
        senderName: account.displayName,
        maySendVideo: request.video,
        media,
        ...(resumeToken ? { resumeToken } : {}),
      };
    } catch (error) {
      if (room) {
        members.leave(socket, room);
        room.close();
      }
      if (recorded) records.closed(id, 'cancelled');
      throw error;
    }
  }

  /**
   * A phone calls one of the sender's numbers: the same ring plan, devices
   * only (a phone call is never forwarded back out to a phone).
   */
  async fromPhone(inbound: InboundCall, email: string): Promise<void> {
    const { rooms, records, logger } = this.#parts;
    // The phone may give up at any await below: listen from the start.
    const phone = { gone: false, live: undefined as LiveCall | undefined };
    // A function, not the flag: it changes across the awaits below.
    const gone = (): boolean => phone.gone;
    inbound.once('ended', () => {
      phone.gone = true;
      if (phone.live) this.#dispatch(phone.live, { type: 'hang_up', by: 'caller' });
    });
    const account = await this.#parts.accounts.findByEmail(email);
    if (!account) {
      logger.warn({ number: inbound.number }, 'a number is configured for an unknown account');
      return inbound.reject(false);
    }
    const id = randomToken(12);
    let room: Room | undefined;
    try {
      const [connected, senderBusy] = await this.#senderNow(account.id);
      room = await rooms.create(id);
      await inbound.attach(room);
      if (gone()) throw new Error('the phone hung up');
      const call = this.#newCall(id, account, room, connected, {
        incoming: {
          callId: id,
          callerName: `Phone ${inbound.from}`,
          callerEmail: null,
          subject: `Call to ${inbound.number}`,
          video: false,
          senderBusy,
          canSendToPhone: false,
        },
        caller: new PhoneCaller(inbound),
        stages: account.settings.doNotDisturb ? [] : deviceStages(ringPlanMs(account.settings)),
        numbers: [],
        group: undefined,
        // Its SIP leg lives on this node: nothing another node could take over.
        resume: undefined,
      });
      await records.started(call, account, null);
      await records.open(call);
      if (gone()) {
        records.closed(id, 'cancelled');
        throw new Error('the phone hung up');
      }
      phone.live = call;
      this.launch(call, account, connected);
    } catch (error) {
      logger.warn({ err: error, number: inbound.number }, 'an incoming phone call failed');
      room?.close();
      inbound.reject(false);
    }
  }

  /**
   * A reply page's call in `room` (speakers detected in a group call), the
   * page joined to it with what it may send; not live yet.
   */
  async pageCall(
    socket: Peer,
    room: Room,
    parts: PageCallParts,
  ): Promise<{ call: LiveCall; media: JoinRoomResult }> {
    const { account, connected, incoming, numbers, group, resume } = parts;
    // Several people may talk: everyone sees who is speaking.
    if (group) await room.detectSpeakers();
    // The caller sends video only in a video call.
    const media = await this.#parts.members.join(
      socket,
      room,
      channels.call(incoming.callId),
      kindsOf(incoming.video),
    );
    const call = this.#newCall(incoming.callId, account, room, connected, {
      incoming,
      caller: new PageCaller(socket, room, this.#parts.members),
      stages: this.#pageStages(account, numbers),
      numbers,
      group,
      resume,
    });
    return { call, media };
  }

  /** Makes the call live and starts its ring plan. */
  launch(call: LiveCall, account: Account, connected: DeviceActivity[]): void {
    this.#parts.live.add(call);
    this.#parts.rooms.watch(call);
    if (!account.settings.doNotDisturb) this.#parts.records.allReasons(call, connected);
    this.#parts.logger.info({ callId: call.id, accountId: account.id }, 'call started');
    // A page caller gets its ack (with the call id) before the first progress event.
    setImmediate(() => this.#dispatch(call, { type: 'start' }));
  }

  /** A live call of either kind, `connected` devices ranked now (only they can ring). */
  #newCall(
    id: string,
    account: Account,
    room: Room,
    connected: DeviceActivity[],
    parts: Pick<LiveCall, 'incoming' | 'caller' | 'numbers' | 'group' | 'resume'> & {
      stages: RingStage[];
    },
  ): LiveCall {
    const startedAt = Date.now();
    const ranking = rankDevices(connected, startedAt);
    const ranked = ranking.ranked;
    const { stages, ...rest } = parts;
    const call: LiveCall = {
      ...rest,
      id,
      accountId: account.id,
      senderName: account.displayName,
      room,
      state: NEW_CALL,
      shape: {
        stages,
        candidates: () => call.ranked.filter((d) => call.online.has(d.deviceId)),
        caller: parts.caller instanceof PageCaller ? 'page' : 'phone',
      },
      startedAt,
      timers: [],
      labels: new Map(ranked.map((d) => [d.deviceId, d.label])),
      ranked,
      online: new Set(ranked.map((d) => d.deviceId)),
      pushOnly: new Set(ranked.filter((d) => d.byPush === true).map((d) => d.deviceId)),
      pushed: new Set(),
      reasons: ranking.reasons,
    };
    return call;
  }

  /** The sender's devices that can ring and whether the sender is in a call. */
  #senderNow(accountId: number): Promise<[DeviceActivity[], boolean]> {
    return Promise.all([this.reachable(accountId), this.#parts.callDirectory.busy(accountId)]);
  }

  /**
   * The sender's devices that can ring: connected (on any node), and closed
   * apps that can be rung by notification.
   */
  async reachable(accountId: number): Promise<DeviceActivity[]> {
    const [connected, apps] = await Promise.all([
      this.#parts.deviceDirectory.connectedActivities(accountId),
      this.#parts.pushRings.installedApps(accountId),
    ]);
    const online = new Set(connected.map((device) => device.deviceId));
    return [...connected, ...apps.filter((app) => !online.has(app.deviceId))];
  }

  /** A reply page's ring plan: the devices, then the sender's phones. */
  #pageStages(account: Account, numbers: PhoneTarget[]): RingStage[] {
    if (account.settings.doNotDisturb) return [];
    return [
      ...deviceStages(ringPlanMs(account.settings)),
      phoneStage(() => numbers.length > 0 && this.#parts.phones.canCall()),
    ];
  }
}

function ringPlanMs(settings: AccountSettings): { firstStageMs: number; totalMs: number } {
  return {
    firstStageMs: settings.ringPlan.firstStageSeconds * 1000,
    totalMs: settings.ringPlan.totalSeconds * 1000,
  };
}

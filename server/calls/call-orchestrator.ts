// Runs every live call on this node: creates its media room, drives its ring
// plan (ring-plan.ts) and carries out the effects — rings, cancellations,
// forwarding to phones (through the SIP gateway), the caller's progress,
// timers, call records.
//
// Longer than the ~400-line rule (about 1,200 lines, eight concepts): issue 17
// splits it into the call's own transition table and one file per concept
// (lifecycle, takeover, group replies, the room, phone glue, records). It is
// left whole until then so that split is made once, with its tests.
import type { AccountSettings } from '../../protocol/accounts.js';
import type {
  AnswerCallResult,
  CallOutcome,
  IncomingCall,
  ResumeCallResult,
  RingEndReason,
  StartCallResult,
} from '../../protocol/call.js';
import type { CallSnapshot } from '../../protocol/cluster.js';
import type { JoinRoomResult } from '../../protocol/media.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  type CallRecipient,
  type GroupCallState,
  type InviteResult,
  type Participant,
} from '../../protocol/group.js';
import { routerMediaCodecs } from '../../media/codecs.js';
import { Room } from '../../media/room.js';
import type { WorkerPool } from '../../media/worker-pool.js';
import type {
  AttemptInfo,
  ForwardRequest,
  PhoneForwarding,
  PhoneTarget,
} from '../../gateway/phone-forwarding.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import { rankDevices, type DeviceActivity, type RankedDevice } from '../presence/ranking.js';
import type { MediaSignaling } from '../realtime/media-signaling.js';
import type { Peer } from '../realtime/peer.js';
import type { VoxServer } from '../realtime/typed-server.js';
import { RequestError } from '../realtime/validated-handler.js';
import { hashToken, randomToken } from '../security/tokens.js';
import type { AccountStore } from '../store/account-store.js';
import type { CallStore } from '../store/call-store.js';
import type { CallDirectory } from './call-directory.js';
import { PageCaller, PhoneCaller, type Caller } from './caller.js';
import { GroupCall, groupChannel, groupLinkChannel } from './group-call.js';
import type { InboundCall } from '../../gateway/inbound-call.js';
import type { Account } from '../store/account-store.js';
import type { DeviceStore } from '../store/device-store.js';
import { inGroup, linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import {
  IDLE,
  deviceStages,
  phoneStage,
  transition,
  type RingEffect,
  type RingPlanEvent,
  type RingPlanOutcome,
  type RingPlanState,
  type RingStage,
} from './ring-plan.js';

export interface CallOrchestratorDeps {
  io: VoxServer;
  signaling: MediaSignaling;
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
  links: LinkStore;
  calls: CallStore;
  phones: { list: (accountId: number) => Promise<PhoneTarget[]> };
  /** The SIP gateway, when trunks are configured. */
  gateway: PhoneGateway | undefined;
  /** Told of each call nobody answered (the missed-call email). */
  onMissed?: (missed: MissedCall) => void;
  logger: Logger;
}

export interface MissedCall {
  accountId: number;
  callId: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  startedAt: Date;
}

/** What calls need of the SIP gateway. */
export interface PhoneGateway {
  canCall(): boolean;
  forward(request: ForwardRequest): PhoneForwarding;
}

interface LiveCall {
  id: string;
  accountId: number;
  senderName: string;
  incoming: IncomingCall;
  caller: Caller;
  room: Room;
  stages: RingStage[];
  state: RingPlanState;
  startedAt: number;
  timers: NodeJS.Timeout[];
  /** Device labels by id, for "Answered on Laptop". */
  labels: Map<string, string>;
  /** The device that answered (`video`: it sends its camera). */
  answer?: { socket: Peer; deviceId: string; video: boolean };
  /** A reply page's call: its link, and the hash of the token that resumes it elsewhere. */
  resume: { linkId: number; tokenHash: string } | undefined;
  /** The devices ranked when the call started (later stages ring those still online). */
  ranked: RankedDevice[];
  /** Which of them are connected now (on any node). */
  online: Set<string>;
  /** Why each connected device ranked where it did. */
  reasons: string[];
  /** When it was answered (ISO), for the caller's timer. */
  answeredAt?: string;
  /** The sender's forwarding numbers, read when the call started. */
  numbers: PhoneTarget[];
  phone?: PhoneForwarding;
  /** Set while the call moves to a new room (its worker died): joins wait for it. */
  moving?: Promise<void>;
  /** A call from a relayed email's To/Cc link: its other recipients may join once answered. */
  group: GroupCall | undefined;
}

export const deviceChannel = (accountId: number, deviceId: string): string =>
  `device:${accountId}:${deviceId}`;

export class CallOrchestrator {
  readonly #deps: CallOrchestratorDeps;
  readonly #calls = new Map<string, LiveCall>();
  /** Caller sockets whose call:start is being set up. */
  readonly #starting = new Set<string>();
  readonly #log: Logger;

  constructor(deps: CallOrchestratorDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'calls' });
    deps.deviceDirectory.on('deviceLeft', (accountId, deviceId) => {
      for (const call of this.#callsOf(accountId)) {
        call.online.delete(deviceId);
        this.#dispatch(call, { type: 'device_left', deviceId });
      }
    });
    deps.callDirectory.onLost((callId) => this.letGo(callId));
    // Back within the call (a page reload): later stages may ring it again.
    deps.deviceDirectory.on('deviceJoined', (accountId, deviceId) => {
      for (const call of this.#callsOf(accountId)) {
        if (call.ranked.some((d) => d.deviceId === deviceId)) call.online.add(deviceId);
      }
    });
  }

  /** Whether this node runs the call. */
  runs(callId: string): boolean {
    return this.#calls.has(callId);
  }

  #callsOf(accountId: number): LiveCall[] {
    return [...this.#calls.values()].filter((call) => call.accountId === accountId);
  }

  async start(
    socket: Peer,
    request: { link: Link; callerName: string; video: boolean },
  ): Promise<StartCallResult> {
    const { link } = request;
    if (!linkUsable(link)) {
      throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
    }
    // Reserved before the first await, so two starts on one page cannot race.
    if (this.#starting.has(socket.id) || this.#callOfCaller(socket)) {
      throw new RequestError(ErrorCode.Forbidden, 'this page is already in a call');
    }
    const running = this.#groupCallFor(link);
    if (running) {
      const talking = talkingIn(running);
      throw new RequestError(
        ErrorCode.Conflict,
        `${talking.join(' and ')} ${talking.length === 1 ? 'is' : 'are'} already talking with ${running.senderName} about this email: join that call`,
      );
    }
    this.#starting.add(socket.id);
    let room: Room | undefined;
    let recorded: string | undefined;
    try {
      const account = await this.#deps.accounts.findById(link.accountId);
      if (!account) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
      const numbers = this.#deps.gateway ? await this.#deps.phones.list(account.id) : [];
      const [connected, senderBusy] = await this.#senderNow(account.id);

      const id = randomToken(12);
      const resumeToken = this.#deps.resumable ? randomToken(18) : undefined;
      room = await this.#createRoom(id);
      const { call, media } = await this.#pageCall(socket, room, {
        account,
        connected,
        numbers,
        incoming: {
          callId: id,
          callerName: request.callerName,
          callerEmail: link.recipientEmail,
          subject: link.subject,
          video: request.video,
          senderBusy,
          canSendToPhone: numbers.length > 0 && (this.#deps.gateway?.canCall() ?? false),
        },
        group: inGroup(link) ? new GroupCall(link.messageKey, link.id) : undefined,
        resume: resumeToken ? { linkId: link.id, tokenHash: hashToken(resumeToken) } : undefined,
      });
      recorded = await this.#record(call, account, link.id);
      await this.#open(call);
      // The caller may have left while this was set up: nothing may ring then.
      if (!socket.connected) {
        this.#persist('aborted call', [this.#deps.callDirectory.close(id)]);
        throw new RequestError(ErrorCode.Forbidden, 'disconnected');
      }
      this.#launch(call, account, connected);
      // Off the ring path: the link's usage.
      this.#persist('link use', [this.#deps.links.recordCall(link.id)]);
      return {
        callId: id,
        senderName: account.displayName,
        maySendVideo: request.video,
        media,
        ...(resumeToken ? { resumeToken } : {}),
      };
    } catch (error) {
      if (room) {
        this.#deps.signaling.leave(socket, room);
        room.close();
      }
      if (recorded) {
        this.#persist('aborted call', [
          this.#deps.calls.ended(recorded, { outcome: 'cancelled', endedAt: new Date() }),
        ]);
      }
      throw error;
    } finally {
      this.#starting.delete(socket.id);
    }
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
    const id = snapshot.incoming.callId;
    const channel = `call:${id}`;
    let room: Room | undefined;
    try {
      const account = await this.#deps.accounts.findById(snapshot.accountId);
      if (!account) throw new RequestError(ErrorCode.NotFound, 'the call ended');
      const numbers = this.#deps.gateway ? await this.#deps.phones.list(account.id) : [];
      const connected = await this.#deps.deviceDirectory.connectedActivities(account.id);
      room = await this.#createRoom(id);
      const { call, media } = await this.#pageCall(socket, room, {
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
        call.state = { kind: 'answered', deviceId: answer.deviceId };
        call.answer = { socket: answerer, deviceId: answer.deviceId, video: answer.video };
        call.answeredAt = answer.answeredAt;
        call.labels.set(answer.deviceId, answer.label);
        await this.#deps.signaling.adopt(answerer, room, channel, kindsOf(answer.video));
      }
      // The page may have gone during the awaits: then nobody would end the call.
      if (!socket.connected) throw new RequestError(ErrorCode.Forbidden, 'disconnected');
      this.#calls.set(id, call);
      this.#watchRoom(call);
      this.#log.warn({ callId: id, answered: answer !== null }, 'call taken over');
      setImmediate(() => {
        if (call.state.kind !== 'answered') return void this.#dispatch(call, { type: 'start' });
        call.caller.progress({
          callId: id,
          stage: 'connected',
          senderName: call.senderName,
          answeredAt: call.answeredAt,
        });
        this.#announce(call);
      });
      return { callId: id, media };
    } catch (error) {
      this.#abandonTakeover(id, socket, answerer, room, snapshot.answer !== null);
      throw error;
    }
  }

  /** A takeover that failed: nobody will resume the call again, so it ends here. */
  #abandonTakeover(
    id: string,
    socket: Peer,
    answerer: Peer | undefined,
    room: Room | undefined,
    answered: boolean,
  ): void {
    if (room) {
      this.#deps.signaling.leave(socket, room);
      if (answerer) this.#deps.signaling.leave(answerer, room);
      room.close();
    }
    answerer?.emit('call:ended', { callId: id, by: 'system' });
    this.#persist('ended', [
      this.#deps.calls.ended(id, {
        outcome: answered ? 'answered' : 'cancelled',
        endedAt: new Date(),
      }),
      this.#deps.callDirectory.close(id),
    ]);
  }

  /**
   * The page of a call running here reconnected through another node (the
   * node it was connected to died): it takes the caller's place, with new
   * transports in the same room. `tokenHash`: of the token it resumes with.
   */
  async reattach(socket: Peer, callId: string, tokenHash: string): Promise<ResumeCallResult> {
    const call = this.#calls.get(callId);
    const page = call?.caller;
    const resumable =
      call?.resume?.tokenHash === tokenHash &&
      page instanceof PageCaller &&
      (call.group?.callerPresent ?? true) &&
      // A phone leg consumes the caller's own producer: it cannot follow a new page.
      !call.phone;
    if (!call || !resumable) throw new RequestError(ErrorCode.NotFound, 'the call ended');
    // The latest connection of the page wins; an older one still listening hears it is out.
    if (page.socketId !== socket.id) page.ended({ callId, by: 'system' });
    page.leave();
    // From now on the old connection's departure no longer ends the call.
    call.caller = new PageCaller(socket, call.room, this.#deps.signaling);
    if (call.moving) await call.moving;
    const room = call.room;
    const media = await this.#deps.signaling.join(
      socket,
      room,
      `call:${call.id}`,
      kindsOf(call.incoming.video),
    );
    // It may have ended, or this page left, while it joined.
    if (this.#calls.get(callId) !== call || !socket.connected) {
      this.#deps.signaling.leave(socket, room);
      if (this.#calls.get(callId) === call) this.#hangup(call, 'caller');
      throw new RequestError(ErrorCode.NotFound, 'the call ended');
    }
    // The room it joined (a worker death may have replaced the one it claimed the call in).
    call.caller = new PageCaller(socket, room, this.#deps.signaling);
    this.#log.warn({ callId }, 'the caller came back to its call');
    setImmediate(() => {
      const state = call.state;
      const stage = state.kind === 'ringing' ? call.stages[state.stage]?.callerStage : 'connected';
      call.caller.progress({
        callId,
        stage: stage ?? 'ringing',
        senderName: call.senderName,
        ...(state.kind === 'answered' ? { answeredAt: call.answeredAt } : {}),
      });
      this.#announce(call);
    });
    return { callId, media };
  }

  /**
   * A phone calls one of the sender's numbers: the same ring plan, devices
   * only (a phone call is never forwarded back out to a phone).
   */
  async startFromPhone(inbound: InboundCall, email: string): Promise<void> {
    // The phone may give up at any await below: listen from the start.
    const phone = { gone: false, live: undefined as LiveCall | undefined };
    // A function, not the flag: it changes across the awaits below.
    const gone = (): boolean => phone.gone;
    inbound.once('ended', () => {
      phone.gone = true;
      if (phone.live) this.#hangup(phone.live, 'caller');
    });
    const account = await this.#deps.accounts.findByEmail(email);
    if (!account) {
      this.#log.warn({ number: inbound.number }, 'a number is configured for an unknown account');
      return inbound.reject(false);
    }
    const id = randomToken(12);
    let room: Room | undefined;
    try {
      const [connected, senderBusy] = await this.#senderNow(account.id);
      room = await this.#createRoom(id);
      await inbound.attach(room);
      if (gone()) throw new Error('the phone hung up');
      const call: LiveCall = {
        ...this.#newCall(id, account, room, connected),
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
      };
      await this.#record(call, account, null);
      await this.#open(call);
      if (gone()) {
        this.#persist('aborted call', [
          this.#deps.callDirectory.close(id),
          this.#deps.calls.ended(id, { outcome: 'cancelled', endedAt: new Date() }),
        ]);
        throw new Error('the phone hung up');
      }
      phone.live = call;
      this.#launch(call, account, connected);
    } catch (error) {
      this.#log.warn({ err: error, number: inbound.number }, 'an incoming phone call failed');
      room?.close();
      inbound.reject(false);
    }
  }

  async answer(socket: Peer, callId: string, video: boolean): Promise<AnswerCallResult> {
    const { call, deviceId } = this.#ownCall(socket, callId);
    if ([...this.#calls.values()].some((c) => c.answer?.socket.id === socket.id)) {
      throw new RequestError(ErrorCode.Conflict, 'hang up the current call first');
    }
    if (!this.#dispatch(call, { type: 'answered', deviceId })) {
      throw new RequestError(ErrorCode.Conflict, 'this call is no longer ringing here');
    }
    call.answer = { socket, deviceId, video };
    this.#recordAnswer(call, deviceId);
    // A phone caller: the device sends with the phone's codec, and the phone is answered.
    const codec = call.caller.answererCodec;
    if (codec) socket.emit('media:sendCodec', codec);
    call.caller.connected(socket.id);
    // The device's other tabs stop ringing too.
    this.#deps.io
      .to(deviceChannel(call.accountId, deviceId))
      .except(socket.id)
      .emit('call:ringEnded', {
        callId,
        reason: 'answered_elsewhere',
        answeredOn: call.labels.get(deviceId) ?? 'this device',
      });
    // The room is being replaced (its worker died): join the new one.
    if (call.moving) await call.moving;
    if (this.#calls.get(callId) !== call) {
      throw new RequestError(ErrorCode.NotFound, 'the call ended');
    }
    // A voice answer takes no video place (a group call has four).
    const media = await this.#deps.signaling.join(
      socket,
      call.room,
      `call:${call.id}`,
      kindsOf(video),
    );
    // After the ack, which tells the device the call is its own.
    setImmediate(() => this.#announce(call));
    return {
      callId,
      media,
    };
  }

  decline(socket: Peer, callId: string): void {
    const { call, deviceId } = this.#ownCall(socket, callId);
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
    const call = this.#calls.get(callId);
    if (!call || !isCaller(call, socket))
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    if (call.state.kind !== 'on_phone' || !call.phone?.sendTones(digits)) {
      throw new RequestError(ErrorCode.Conflict, 'keypad tones cannot reach this call');
    }
  }

  hangup(socket: Peer, callId: string): void {
    const call = this.#calls.get(callId);
    if (call?.group?.guest(socket.id)) return this.#guestLeaves(call, socket.id);
    const caller = call && isCaller(call, socket);
    if (!call || (!caller && call.answer?.socket.id !== socket.id))
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    this.#hangup(call, caller ? 'caller' : 'sender');
  }

  /** What a reply page watching `link` sees of its email's call. */
  groupState(link: Link): GroupCallState {
    return groupStateOf(this.#groupCallFor(link), link.id);
  }

  /** Another recipient of the email joins its running call from their reply page. */
  async join(
    socket: Peer,
    request: { link: Link; callId: string; callerName: string; video: boolean },
  ): Promise<StartCallResult> {
    const { link } = request;
    if (!inGroup(link)) throw new RequestError(ErrorCode.Forbidden, 'this link cannot join calls');
    const call = this.#groupCallFor(link);
    const group = call?.group;
    if (call?.id !== request.callId || !group) {
      throw new RequestError(ErrorCode.NotFound, 'that call is over');
    }
    if (this.#starting.has(socket.id) || this.#callOfCaller(socket)) {
      throw new RequestError(ErrorCode.Forbidden, 'this page is already in a call');
    }
    if (group.hasLink(link.id)) {
      throw new RequestError(ErrorCode.Conflict, 'this link is already in the call');
    }
    if (!group.hasRoom) throw new RequestError(ErrorCode.CallFull, 'this call is full');
    // Tiles for up to four video senders: later joiners send their voice only.
    const video =
      request.video && call.incoming.video && group.videoPlaceFree(call.room.sendersOf('video'));
    const release = group.reserve(link.id, video);
    this.#starting.add(socket.id);
    try {
      if (call.moving) await call.moving;
      const channel = `call:${call.id}`;
      const media = await this.#deps.signaling.join(socket, call.room, channel, kindsOf(video));
      if (this.#calls.get(call.id) !== call || !socket.connected) {
        this.#deps.signaling.leave(socket, call.room);
        throw new RequestError(ErrorCode.NotFound, 'that call is over');
      }
      const record = this.#deps.calls.guestJoined(call.id, {
        linkId: link.id,
        name: request.callerName,
        joinedAt: new Date(),
      });
      this.#persist('guest joined', [record, this.#deps.links.recordCall(link.id)]);
      const caller = new PageCaller(socket, call.room, this.#deps.signaling);
      group.add(socket.id, { caller, name: request.callerName, linkId: link.id, record });
      this.#log.info({ callId: call.id, linkId: link.id }, 'a recipient joined the call');
      // After the ack, which tells the page the call is its own: it is
      // connected (since when), and who is in the call.
      setImmediate(() => {
        caller.progress({
          callId: call.id,
          stage: 'connected',
          senderName: call.senderName,
          answeredAt: call.answeredAt,
        });
        this.#announce(call);
      });
      return {
        callId: call.id,
        senderName: call.senderName,
        maySendVideo: video,
        media,
      };
    } finally {
      release();
      this.#starting.delete(socket.id);
    }
  }

  /** The email's other recipients, for the sender's "Invite" (only the device in the call). */
  async recipients(socket: Peer, callId: string): Promise<CallRecipient[]> {
    const { call, group } = this.#groupCallAnsweredBy(socket, callId);
    if (!group) return [];
    const links = (await this.#deps.links.listForMessage(call.accountId, group.messageKey)).filter(
      (link) => inGroup(link) && link.recipientEmail,
    );
    // One cluster-wide look at every recipient's open pages, not one per recipient.
    const channels = links.map((link) => groupLinkChannel(link.id));
    const open = new Set<string>();
    if (channels.length > 0) {
      for (const page of await this.#deps.io.in(channels).fetchSockets()) {
        for (const room of page.rooms) open.add(room);
      }
    }
    return links.map((link) => ({
      linkId: link.id,
      name: link.recipientName,
      email: link.recipientEmail ?? '',
      inCall: group.hasLink(link.id),
      pageOpen: open.has(groupLinkChannel(link.id)),
    }));
  }

  /** Rings another recipient's open reply pages with "join the call". */
  async invite(socket: Peer, callId: string, linkId: number): Promise<InviteResult> {
    const { call, group } = this.#groupCallAnsweredBy(socket, callId);
    const link = await this.#deps.links.findOwned(call.accountId, linkId);
    if (!group || !link || !inGroup(link) || link.messageKey !== group.messageKey) {
      throw new RequestError(ErrorCode.NotFound, 'not a recipient of this email');
    }
    if (group.hasLink(link.id)) throw new RequestError(ErrorCode.Conflict, 'already in the call');
    if (!group.hasRoom) throw new RequestError(ErrorCode.CallFull, 'this call is full');
    const channel = groupLinkChannel(link.id);
    const pages = await this.#deps.io.in(channel).fetchSockets();
    this.#deps.io.to(channel).emit('group:invited', {
      callId: call.id,
      senderName: call.senderName,
      talking: talkingIn(call),
    });
    return { reached: pages.length };
  }

  /** The answered call about `link`'s email, if one is running. */
  #groupCallFor(link: Link): LiveCall | undefined {
    return link.messageKey ? this.#runningGroupCall(link.accountId, link.messageKey) : undefined;
  }

  #runningGroupCall(accountId: number, messageKey: string): LiveCall | undefined {
    return [...this.#calls.values()].find(
      (c) =>
        c.accountId === accountId &&
        c.group?.messageKey === messageKey &&
        c.state.kind === 'answered',
    );
  }

  #groupCallAnsweredBy(
    socket: Peer,
    callId: string,
  ): { call: LiveCall; group: GroupCall | undefined } {
    const call = this.#calls.get(callId);
    if (!call || call.answer?.socket.id !== socket.id) {
      throw new RequestError(ErrorCode.NotFound, 'no such call here');
    }
    return { call, group: call.state.kind === 'answered' ? call.group : undefined };
  }

  /** Tells everyone in the call who is in it, and the email's watching pages. */
  #announce(call: LiveCall): void {
    this.#deps.io.to(`call:${call.id}`).emit('call:participants', {
      callId: call.id,
      participants: participantsOf(call),
      activeSpeaker: call.room.activeSpeaker ?? null,
    });
    if (call.group) this.#announceGroup(call.accountId, call.group.messageKey);
  }

  /** The email's watching pages get the call's state (a page already in it knows so itself). */
  #announceGroup(accountId: number, messageKey: string): void {
    this.#deps.io
      .to(groupChannel(accountId, messageKey))
      .emit('group:state', groupStateOf(this.#runningGroupCall(accountId, messageKey)));
  }

  async #createRoom(id: string): Promise<Room> {
    let router;
    try {
      router = await this.#deps.pool.createRouter({ mediaCodecs: routerMediaCodecs });
    } catch (error) {
      throw new RequestError(
        ErrorCode.MediaUnavailable,
        `no media worker available: ${String(error)}`,
      );
    }
    const room = new Room(id, router);
    this.#deps.signaling.bindRoom(room, `call:${id}`);
    this.#log.info({ callId: id, workerPid: room.workerPid }, 'media room created');
    return room;
  }

  /** A worker that dies takes the call's router with it: the call moves to another. */
  #watchRoom(call: LiveCall): void {
    const room = call.room;
    const lost = (): void => {
      if (this.#calls.get(call.id) !== call || call.room !== room) return;
      call.moving = this.#moveRoom(call).finally(() => (call.moving = undefined));
    };
    // It may have died while the call was being set up.
    if (room.closed) lost();
    else room.once('closed', lost);
  }

  /**
   * Puts a call whose room was lost into a new room on a live worker; every
   * browser in it sets its media up again there (new transports, the same
   * tracks). A phone leg cannot follow (its RTP relay is bound to the old
   * transport): such a call ends.
   */
  async #moveRoom(call: LiveCall): Promise<void> {
    const lost = call.room;
    // A phone (calling in, answered, or being rung) is bound to the old room's transport.
    if (call.caller.socketId === undefined || call.state.kind === 'on_phone' || call.phone) {
      return this.#hangup(call, 'system');
    }
    let room: Room;
    try {
      room = await this.#createRoom(call.id);
      if (call.group) await room.detectSpeakers();
    } catch (error) {
      this.#log.error({ err: error, callId: call.id }, 'no worker to move the call to');
      return this.#hangup(call, 'system');
    }
    if (this.#calls.get(call.id) !== call) return room.close();
    call.room = room;
    this.#watchRoom(call);
    const pages = recipientPages(call).filter((page) => page instanceof PageCaller);
    for (const page of pages) page.moveTo(room);
    if (call.answer) this.#deps.signaling.move(call.answer.socket, room);
    this.#log.warn(
      { callId: call.id, from: lost.workerPid, to: room.workerPid },
      'media worker lost: call moved to a new room',
    );
  }

  /** The parts of a live call every kind of caller shares, `connected` devices ranked now. */
  #newCall(
    id: string,
    account: Account,
    room: Room,
    connected: DeviceActivity[],
  ): Omit<LiveCall, 'incoming' | 'caller' | 'stages' | 'numbers' | 'group' | 'resume'> {
    const startedAt = Date.now();
    // Only connected devices can ring.
    const ranking = rankDevices(connected, startedAt);
    return {
      id,
      accountId: account.id,
      senderName: account.displayName,
      room,
      state: IDLE,
      startedAt,
      timers: [],
      labels: new Map(ranking.ranked.map((d) => [d.deviceId, d.label])),
      ranked: ranking.ranked,
      online: new Set(ranking.ranked.map((d) => d.deviceId)),
      reasons: ranking.reasons,
    };
  }

  /** The sender's connected devices (on any node) and whether they are in a call. */
  #senderNow(accountId: number): Promise<[DeviceActivity[], boolean]> {
    return Promise.all([
      this.#deps.deviceDirectory.connectedActivities(accountId),
      this.#deps.callDirectory.busy(accountId),
    ]);
  }

  /**
   * A reply page's call in `room` (speakers detected in a group call), the
   * page joined to it with what it may send; not live yet.
   */
  async #pageCall(
    socket: Peer,
    room: Room,
    parts: Pick<LiveCall, 'incoming' | 'numbers' | 'group' | 'resume'> & {
      account: Account;
      connected: DeviceActivity[];
    },
  ): Promise<{ call: LiveCall; media: JoinRoomResult }> {
    const { account, connected, incoming, numbers, group, resume } = parts;
    // Several people may talk: everyone sees who is speaking.
    if (group) await room.detectSpeakers();
    // The caller sends video only in a video call.
    const media = await this.#deps.signaling.join(
      socket,
      room,
      `call:${incoming.callId}`,
      kindsOf(incoming.video),
    );
    const call: LiveCall = {
      ...this.#newCall(incoming.callId, account, room, connected),
      incoming,
      caller: new PageCaller(socket, room, this.#deps.signaling),
      stages: this.#pageStages(account, numbers),
      numbers,
      group,
      resume,
    };
    return { call, media };
  }

  /** A reply page's ring plan: the devices, then the sender's phones. */
  #pageStages(account: Account, numbers: PhoneTarget[]): RingStage[] {
    if (account.settings.doNotDisturb) return [];
    return [
      ...deviceStages(ringPlanMs(account.settings)),
      phoneStage(() => numbers.length > 0 && (this.#deps.gateway?.canCall() ?? false)),
    ];
  }

  /** What another node needs to take the call over if this one dies (a reply page's only). */
  #snapshot(call: LiveCall): CallSnapshot | undefined {
    if (!call.resume) return undefined;
    const answer = call.answer;
    return {
      accountId: call.accountId,
      linkId: call.resume.linkId,
      resumeTokenHash: call.resume.tokenHash,
      startedAt: call.startedAt,
      incoming: call.incoming,
      messageKey: call.group?.messageKey ?? null,
      answer: answer
        ? {
            deviceId: answer.deviceId,
            label: call.labels.get(answer.deviceId) ?? answer.deviceId,
            peerId: answer.socket.id,
            node: answer.socket.node ?? this.#deps.nodeId,
            answeredAt: call.answeredAt ?? new Date().toISOString(),
            video: answer.video,
          }
        : null,
      phone: call.state.kind === 'on_phone',
    };
  }

  /** Enters the call in the directory, so other nodes find it (before anything rings). */
  async #open(call: LiveCall): Promise<void> {
    if (!(await this.#deps.callDirectory.open(call.id, call.accountId, this.#snapshot(call)))) {
      throw new Error(`call id ${call.id} is taken`);
    }
  }

  /** The call's record, before anything rings; returns its id. */
  async #record(call: LiveCall, account: Account, linkId: number | null): Promise<string> {
    await this.#deps.calls.start({
      id: call.id,
      accountId: account.id,
      linkId,
      callerName: call.incoming.callerName,
      callerEmail: call.incoming.callerEmail,
      subject: call.incoming.subject,
      video: call.incoming.video,
      startedAt: new Date(call.startedAt),
      ringReasons: account.settings.doNotDisturb
        ? ['Do not disturb: no device rang']
        : call.reasons,
    });
    return call.id;
  }

  /** Makes the call live and starts its ring plan. */
  #launch(call: LiveCall, account: Account, connected: DeviceActivity[]): void {
    this.#calls.set(call.id, call);
    this.#watchRoom(call);
    // Off the ring path: the full explanation (with the devices that were
    // offline) for the call's record.
    if (!account.settings.doNotDisturb)
      this.#persist('ring reasons', [this.#recordAllReasons(call, connected)]);
    this.#log.info({ callId: call.id, accountId: account.id }, 'call started');
    // A page caller gets its ack (with the call id) before the first progress event.
    setImmediate(() => this.#dispatch(call, { type: 'start' }));
  }

  /** The call this reply page is in, as its caller or as a guest. */
  #callOfCaller(socket: Peer): LiveCall | undefined {
    return [...this.#calls.values()].find(
      (c) => isCaller(c, socket) || c.group?.guest(socket.id) !== undefined,
    );
  }

  /** A socket went away: whatever call it was part of ends (or its ring stops, or it leaves a group). */
  disconnected(socket: Peer): void {
    for (const call of [...this.#calls.values()]) {
      if (isCaller(call, socket)) this.#hangup(call, 'caller');
      else if (call.group?.guest(socket.id)) this.#guestLeaves(call, socket.id);
      else if (call.answer?.socket.id === socket.id) this.#hangup(call, 'sender');
    }
  }

  /**
   * Another node runs this call now (this one stalled and was taken for
   * dead): its people and its record are that node's; only the local
   * remains (timers, room) go.
   */
  letGo(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    this.#calls.delete(callId);
    this.#clearTimers(call);
    call.room.close();
  }

  closeAll(): void {
    for (const call of [...this.#calls.values()]) this.#hangup(call, 'system');
  }

  #hangup(call: LiveCall, by: 'caller' | 'sender' | 'system'): void {
    if (call.state.kind === 'ringing') {
      this.#dispatch(call, { type: 'caller_hung_up' });
      if (by === 'system') {
        call.caller.progress({ callId: call.id, stage: 'ended', senderName: call.senderName });
      }
      return;
    }
    if (call.state.kind === 'on_phone' && by !== 'sender') call.phone?.hangup();
    if (call.state.kind !== 'answered' && call.state.kind !== 'on_phone') return;
    const group = call.group;
    if (by === 'caller' && group && group.guests.length > 0) {
      // The other recipients talk on with the sender: only the first caller leaves.
      group.callerLeft();
      call.caller.leave();
      this.#announce(call);
      return;
    }
    const ended = { callId: call.id, by };
    call.answer?.socket.emit('call:ended', ended);
    for (const page of recipientPages(call)) {
      page.ended(ended);
      page.progress({ callId: call.id, stage: 'ended', senderName: call.senderName });
    }
    this.#finish(call, 'answered');
  }

  /** A recipient who joined leaves; the call ends when no recipient is left. */
  #guestLeaves(call: LiveCall, socketId: string): void {
    const guest = call.group?.remove(socketId);
    if (!guest) return;
    guest.caller.leave();
    this.#persist('guest left', [
      guest.record.then((id) => this.#deps.calls.guestLeft(id, new Date())),
    ]);
    if (call.group?.recipients === 0) this.#hangup(call, 'caller');
    else this.#announce(call);
  }

  #ownCall(socket: Peer, callId: string): { call: LiveCall; deviceId: string } {
    const { accountId, deviceId } = socket.data;
    const call = this.#calls.get(callId);
    if (accountId === undefined || !deviceId)
      throw new RequestError(ErrorCode.Forbidden, 'not a sender device');
    if (call?.accountId !== accountId) throw new RequestError(ErrorCode.NotFound, 'no such call');
    return { call, deviceId };
  }

  /** `connected`: the devices the call was ranked from (on any node); the others were offline. */
  async #recordAllReasons(call: LiveCall, connected: DeviceActivity[]): Promise<void> {
    const stored = await this.#deps.devices.list(call.accountId);
    const activities = this.#deps.presence.activities(call.accountId, stored, connected);
    const { reasons } = rankDevices(activities, call.startedAt);
    await this.#deps.calls.setRingReasons(call.id, reasons);
  }

  /** Applies an event to a call's plan; returns whether it was accepted. */
  #dispatch(call: LiveCall, event: RingPlanEvent): boolean {
    if (!this.#calls.has(call.id)) return false;
    const candidates = (): RankedDevice[] => call.ranked.filter((d) => call.online.has(d.deviceId));
    const result = transition(call.state, event, call.stages, candidates);
    if (!result.accepted) return false;
    call.state = result.state;
    for (const effect of result.effects) this.#effect(call, effect);
    if (result.state.kind === 'answered') this.#answered(call, result.state.deviceId);
    if (result.state.kind === 'on_phone') this.#clearTimers(call);
    if (result.state.kind === 'ended') this.#finish(call, outcomeOf(result.state.outcome));
    return true;
  }

  #effect(call: LiveCall, effect: RingEffect): void {
    const { io } = this.#deps;
    switch (effect.type) {
      case 'ring':
        for (const deviceId of effect.deviceIds) {
          io.to(deviceChannel(call.accountId, deviceId)).emit('call:ring', call.incoming);
        }
        break;
      case 'stop_ringing':
        for (const deviceId of effect.deviceIds) {
          io.to(deviceChannel(call.accountId, deviceId)).emit('call:ringEnded', {
            callId: call.id,
            reason: effect.reason satisfies RingEndReason,
            ...(effect.answeredBy
              ? { answeredOn: call.labels.get(effect.answeredBy) ?? 'another device' }
              : {}),
          });
        }
        break;
      case 'stage_timer': {
        const delay = Math.max(0, call.startedAt + effect.atMs - Date.now());
        call.timers.push(
          setTimeout(
            () => this.#dispatch(call, { type: 'stage_time_up', stage: effect.stage }),
            delay,
          ),
        );
        break;
      }
      case 'call_phone':
        this.#callPhone(call);
        break;
      case 'cancel_phone':
        call.phone?.cancel();
        break;
      case 'caller_stage':
        if (effect.stage === 'connected') call.answeredAt = new Date().toISOString();
        call.caller.progress({
          callId: call.id,
          stage: effect.stage,
          senderName: call.senderName,
          ...(effect.stage === 'connected'
            ? { answeredAt: call.answeredAt, toPhone: call.state.kind === 'on_phone' }
            : {}),
        });
        break;
    }
  }

  #clearTimers(call: LiveCall): void {
    for (const timer of call.timers) clearTimeout(timer);
    call.timers = [];
  }

  /** Stage 3: forwards to the sender's numbers; its events drive the plan. */
  #callPhone(call: LiveCall): void {
    const gateway = this.#deps.gateway;
    // Only a reply page is forwarded (a phone calling in is never sent back out).
    const pageCaller = call.caller instanceof PageCaller ? call.caller : undefined;
    if (!gateway || !pageCaller)
      return void setImmediate(() => this.#dispatch(call, { type: 'phone_failed' }));
    this.#clearTimers(call);
    const phone = gateway.forward({
      room: call.room,
      callerPeerId: call.caller.peerId,
      callerName: call.incoming.callerName,
      numbers: call.numbers,
    });
    call.phone = phone;
    // Each attempt's row, once written; later writes wait for it.
    const legIds = new Map<number, Promise<number>>();
    const legWrite = (attempt: AttemptInfo, write: (leg: number) => Promise<void>): void => {
      const id = legIds.get(attempt.id);
      if (id) this.#persist('phone leg', [id.then(write)]);
    };
    phone.on('attempt', (attempt) => {
      const id = this.#deps.calls.phoneLegStarted(call.id, {
        number: attempt.number,
        trunk: attempt.trunk,
        startedAt: new Date(),
      });
      legIds.set(attempt.id, id);
      this.#persist('phone leg', [id]);
    });
    phone.on('attemptEnded', (attempt, result) => {
      legWrite(attempt, (leg) =>
        result === 'answered'
          ? this.#deps.calls.phoneLegAnswered(leg, new Date())
          : this.#deps.calls.phoneLegEnded(leg, { result, endedAt: new Date() }),
      );
    });
    phone.on('sendCodec', (codec) => pageCaller.sendCodec({ kind: 'audio', ...codec }));
    phone.on('answered', (attempt) => {
      if (!this.#dispatch(call, { type: 'phone_answered' })) return phone.hangup();
      call.labels.set(`phone:${attempt.number}`, `${attempt.label} (${attempt.number})`);
      this.#recordAnswer(call, `phone:${attempt.number}`);
      phone.once('ended', () => {
        legWrite(attempt, (leg) =>
          this.#deps.calls.phoneLegEnded(leg, { result: 'answered', endedAt: new Date() }),
        );
        this.#hangup(call, 'sender');
      });
    });
    phone.on('failed', (busy) => this.#dispatch(call, { type: 'phone_failed', busy }));
    phone.on('held', (held) => {
      pageCaller.progress({
        callId: call.id,
        stage: held ? 'on_hold' : 'connected',
        senderName: call.senderName,
        ...(held ? {} : { answeredAt: call.answeredAt, toPhone: true }),
      });
    });
    phone.start();
  }

  #answered(call: LiveCall, deviceId: string): void {
    this.#clearTimers(call);
    this.#deps.presence.answered(call.accountId, deviceId);
    this.#persist('device answered', [
      this.#deps.devices.update(call.accountId, deviceId, { lastAnsweredAt: new Date() }),
    ]);
  }

  /** The answer in the call's record and, with who answered, in the directory's snapshot. */
  #recordAnswer(call: LiveCall, deviceId: string): void {
    const label = call.labels.get(deviceId) ?? deviceId;
    this.#persist('answered', [
      this.#deps.calls.answered(call.id, { deviceId, label }, new Date()),
      this.#deps.callDirectory.answered(call.id, this.#snapshot(call)),
    ]);
    this.#log.info({ callId: call.id, deviceId }, 'call answered');
  }

  #finish(call: LiveCall, outcome: CallOutcome): void {
    if (!this.#calls.delete(call.id)) return;
    this.#clearTimers(call);
    call.phone?.cancel();
    call.caller.leave();
    for (const guest of call.group?.guests ?? []) {
      guest.caller.leave();
      this.#persist('guest left', [
        guest.record.then((id) => this.#deps.calls.guestLeft(id, new Date())),
      ]);
    }
    if (call.answer) this.#deps.signaling.leave(call.answer.socket, call.room);
    call.room.close();
    if (call.group) this.#announceGroup(call.accountId, call.group.messageKey);
    this.#persist('ended', [
      this.#deps.calls.ended(call.id, { outcome, endedAt: new Date() }),
      this.#deps.callDirectory.close(call.id),
    ]);
    this.#log.info({ callId: call.id, outcome }, 'call ended');
    if (outcome === 'missed') {
      this.#deps.onMissed?.({
        accountId: call.accountId,
        callId: call.id,
        callerName: call.incoming.callerName,
        callerEmail: call.incoming.callerEmail,
        subject: call.incoming.subject,
        startedAt: new Date(call.startedAt),
      });
    }
  }

  #persist(what: string, writes: Promise<unknown>[]): void {
    Promise.all(writes).catch((error: unknown) =>
      this.#log.error({ err: error, what }, 'could not record call state'),
    );
  }
}

/** The first caller, while still in the call (a group call may go on without them). */
function isCaller(call: LiveCall, socket: Peer): boolean {
  return call.caller.socketId === socket.id && (call.group?.callerPresent ?? true);
}

/** The reply pages (and phone) in the call: the first caller while there, and the guests. */
function recipientPages(call: LiveCall): Caller[] {
  const first = call.group?.callerPresent === false ? [] : [call.caller];
  return [...first, ...(call.group?.guests.map((guest) => guest.caller) ?? [])];
}

/** A group call as a watching page sees it; with `linkId`, whether that link may join. */
function groupStateOf(call: LiveCall | undefined, linkId?: number): GroupCallState {
  if (!call?.group) return { callId: null, talking: [], canJoin: false, video: false };
  return {
    callId: call.id,
    talking: talkingIn(call),
    canJoin: call.group.hasRoom && (linkId === undefined || !call.group.hasLink(linkId)),
    video: call.incoming.video,
  };
}

function talkingIn(call: LiveCall): string[] {
  return participantsOf(call)
    .filter((p) => p.role === 'recipient')
    .map((p) => p.name);
}

function participantsOf(call: LiveCall): Participant[] {
  const sender: Participant[] = call.answer
    ? [{ peerId: call.answer.socket.id, name: call.senderName, role: 'sender' }]
    : [];
  const first: Participant[] =
    call.group?.callerPresent === false
      ? []
      : [{ peerId: call.caller.peerId, name: call.incoming.callerName, role: 'recipient' }];
  const guests = (call.group?.guests ?? []).map((guest): Participant => ({
    peerId: guest.caller.peerId,
    name: guest.name,
    role: 'recipient',
  }));
  return [...sender, ...first, ...guests];
}

function kindsOf(video: boolean): ('audio' | 'video')[] {
  return video ? ['audio', 'video'] : ['audio'];
}

function ringPlanMs(settings: AccountSettings): { firstStageMs: number; totalMs: number } {
  return {
    firstStageMs: settings.ringPlan.firstStageSeconds * 1000,
    totalMs: settings.ringPlan.totalSeconds * 1000,
  };
}

function outcomeOf(outcome: RingPlanOutcome): CallOutcome {
  return outcome === 'cancelled' ? 'cancelled' : outcome === 'declined' ? 'declined' : 'missed';
}

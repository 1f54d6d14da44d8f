// Group replies: everyone an email went to (To and Cc) may join the call
// about it once the sender answered, up to MAX_CALL_PARTICIPANTS with video
// tiles for MAX_VIDEO_SENDERS. Their reply pages watch the email's call
// (channels.group), join it, and may be invited by the sender; everyone in
// the call hears who is in it. Who joined is GroupCall's; whether the call
// goes on when someone leaves is the call table's (call-machine.ts).
import type { StartCallResult } from '../../protocol/call.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CallRecipient, GroupCallState, InviteResult } from '../../protocol/group.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallStore } from '../store/call-store.js';
import { inGroup, type Link, type LinkStore } from '../store/link-store.js';
import type { CallEvent } from './call-machine.js';
import type { CallRecords } from './call-records.js';
import { PageCaller } from './caller.js';
import { channels } from './channels.js';
import type { GroupCall } from './group-call.js';
import {
  callerPresent,
  kindsOf,
  participantsOf,
  talkingIn,
  type LiveCall,
  type LiveCalls,
} from './live-call.js';
import type { Broadcast, Peer } from './peer.js';
import type { RoomMembership } from './room-membership.js';

export interface GroupRepliesParts {
  io: Broadcast;
  members: RoomMembership;
  live: LiveCalls;
  callStore: CallStore;
  linkStore: LinkStore;
  records: CallRecords;
  logger: Logger;
}

export class GroupReplies {
  readonly #parts: GroupRepliesParts;
  readonly #dispatch: (call: LiveCall, event: CallEvent) => boolean;

  constructor(parts: GroupRepliesParts, dispatch: (call: LiveCall, event: CallEvent) => boolean) {
    this.#parts = parts;
    this.#dispatch = dispatch;
  }

  /** The answered call about `link`'s email, if one is running. */
  callFor(link: Link): LiveCall | undefined {
    return link.messageKey
      ? this.#parts.live.groupCall(link.accountId, link.messageKey)
      : undefined;
  }

  /** What a reply page watching `link` sees of its email's call. */
  state(link: Link): GroupCallState {
    return groupStateOf(this.callFor(link), link.id);
  }

  /** Another recipient of the email joins its running call from their reply page. */
  async join(
    socket: Peer,
    request: { link: Link; callId: string; callerName: string; video: boolean },
  ): Promise<StartCallResult> {
    const { link } = request;
    const { live, members } = this.#parts;
    if (!inGroup(link)) throw new RequestError(ErrorCode.Forbidden, 'this link cannot join calls');
    const call = this.callFor(link);
    const group = call?.group;
    if (call?.id !== request.callId || !group) {
      throw new RequestError(ErrorCode.NotFound, 'that call is over');
    }
    // One call per page is the socket layer's rule (realtime/call-handlers.ts).
    if (group.hasLink(link.id, callerPresent(call))) {
      throw new RequestError(ErrorCode.Conflict, 'this link is already in the call');
    }
    if (!group.hasRoom(callerPresent(call))) {
      throw new RequestError(ErrorCode.CallFull, 'this call is full');
    }
    // Tiles for up to four video senders: later joiners send their voice only.
    const video =
      request.video && call.incoming.video && group.videoPlaceFree(call.room.sendersOf('video'));
    const releasePlace = group.reserve(link.id, video);
    try {
      if (call.roomReady) await call.roomReady;
      const media = await members.join(socket, call.room, channels.call(call.id), kindsOf(video));
      if (!live.isLive(call) || !socket.connected) {
        members.leave(socket, call.room);
        throw new RequestError(ErrorCode.NotFound, 'that call is over');
      }
      this.#guestJoined(call, group, socket, request);
      return { callId: call.id, senderName: call.senderName, maySendVideo: video, media };
    } finally {
      releasePlace();
    }
  }

  #guestJoined(
    call: LiveCall,
    group: GroupCall,
    socket: Peer,
    request: { link: Link; callerName: string },
  ): void {
    const { callStore, linkStore, records, members, logger } = this.#parts;
    const { link } = request;
    const record = callStore.guestJoined(call.id, {
      linkId: link.id,
      name: request.callerName,
      joinedAt: new Date(),
    });
    records.persist('guest joined', [record, linkStore.recordCall(link.id)]);
    const caller = new PageCaller(socket, call.room, members);
    group.add(socket.id, { caller, name: request.callerName, linkId: link.id, record });
    this.#dispatch(call, { type: 'guest_joined' });
    logger.info({ callId: call.id, linkId: link.id }, 'a recipient joined the call');
    // After the ack, which tells the page the call is its own: it is
    // connected (since when), and who is in the call.
    setImmediate(() => {
      caller.progress({
        callId: call.id,
        stage: 'connected',
        senderName: call.senderName,
        answeredAt: call.answeredAt,
      });
      this.announce(call);
    });
  }

  /** A recipient who joined leaves (hung up, or their page went). */
  leave(call: LiveCall, socketId: string): void {
    const guest = call.group?.remove(socketId);
    if (!guest) return;
    guest.caller.leave();
    this.#parts.records.guestLeft(guest);
    this.#dispatch(call, { type: 'guest_left' });
  }

  /** The email's other recipients, for the sender's "Invite" (only the device in the call). */
  async recipients(call: LiveCall): Promise<CallRecipient[]> {
    const group = joinable(call);
    if (!group) return [];
    const links = (
      await this.#parts.linkStore.listForMessage(call.accountId, group.messageKey)
    ).filter((link) => inGroup(link) && link.recipientEmail);
    // One cluster-wide look at every recipient's open pages, not one per recipient.
    const pageChannels = links.map((link) => channels.groupLink(link.id));
    const open = new Set<string>();
    if (pageChannels.length > 0) {
      for (const page of await this.#parts.io.in(pageChannels).fetchSockets()) {
        for (const room of page.rooms) open.add(room);
      }
    }
    return links.map((link) => ({
      linkId: link.id,
      name: link.recipientName,
      email: link.recipientEmail ?? '',
      inCall: group.hasLink(link.id, callerPresent(call)),
      pageOpen: open.has(channels.groupLink(link.id)),
    }));
  }

  /** Rings another recipient's open reply pages with "join the call". */
  async invite(call: LiveCall, linkId: number): Promise<InviteResult> {
    const group = joinable(call);
    const link = await this.#parts.linkStore.findOwned(call.accountId, linkId);
    if (!group || !link || !inGroup(link) || link.messageKey !== group.messageKey) {
      throw new RequestError(ErrorCode.NotFound, 'not a recipient of this email');
    }
    if (group.hasLink(link.id, callerPresent(call))) {
      throw new RequestError(ErrorCode.Conflict, 'already in the call');
    }
    if (!group.hasRoom(callerPresent(call))) {
      throw new RequestError(ErrorCode.CallFull, 'this call is full');
    }
    const channel = channels.groupLink(link.id);
    const pages = await this.#parts.io.in(channel).fetchSockets();
    this.#parts.io.to(channel).emit('group:invited', {
      callId: call.id,
      senderName: call.senderName,
      talking: talkingIn(call),
    });
    return { reached: pages.length };
  }

  /** Tells everyone in the call who is in it, and the email's watching pages. */
  announce(call: LiveCall): void {
    this.#parts.io.to(channels.call(call.id)).emit('call:participants', {
      callId: call.id,
      participants: participantsOf(call),
      activeSpeaker: call.room.activeSpeaker ?? null,
    });
    if (call.group) this.announceGroup(call.accountId, call.group.messageKey);
  }

  /** The email's watching pages get the call's state (a page already in it knows so itself). */
  announceGroup(accountId: number, messageKey: string): void {
    this.#parts.io
      .to(channels.group(accountId, messageKey))
      .emit('group:state', groupStateOf(this.#parts.live.groupCall(accountId, messageKey)));
  }
}

/** The call's group while it is answered (only then can others join). */
function joinable(call: LiveCall): GroupCall | undefined {
  return call.state.kind === 'answered' ? call.group : undefined;
}

/** A group call as a watching page sees it; with `linkId`, whether that link may join. */
function groupStateOf(call: LiveCall | undefined, linkId?: number): GroupCallState {
  if (!call?.group) return { callId: null, talking: [], canJoin: false, video: false };
  const present = callerPresent(call);
  return {
    callId: call.id,
    talking: talkingIn(call),
    canJoin:
      call.group.hasRoom(present) && (linkId === undefined || !call.group.hasLink(linkId, present)),
    video: call.incoming.video,
  };
}

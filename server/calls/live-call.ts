// One call running on this node, as every part of the call code shares it
// (start, takeover, group replies, the room, the phone leg, the records),
// and the table of this node's live calls. The call's state is the call
// table's (call-machine.ts); what is here beside it is the call's people,
// media and timers, which the table's effects act on.
import type { IncomingCall } from '../../protocol/call.js';
import type { Participant } from '../../protocol/group.js';
import type { Room } from '../../media/room.js';
import type { PhoneForwarding, PhoneTarget } from '../../gateway/phone-forwarding.js';
import type { RankedDevice } from '../presence/ranking.js';
import type { CallShape, CallState } from './call-machine.js';
import type { Caller } from './caller.js';
import type { GroupCall } from './group-call.js';
import type { Peer } from './peer.js';

export interface LiveCall {
  id: string;
  accountId: number;
  senderName: string;
  incoming: IncomingCall;
  caller: Caller;
  room: Room;
  state: CallState;
  /** What the call table needs that does not change: stages, candidates, caller kind. */
  shape: CallShape;
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
  /** Which of them can be rung now: connected (on any node), or by notification. */
  online: Set<string>;
  /** Of those, the closed apps reached by notification (until they connect). */
  pushOnly: Set<string>;
  /** The devices sent a ring by notification, whose notification must hear the ring end. */
  pushed: Set<string>;
  /** Why each connected device ranked where it did. */
  reasons: string[];
  /** When it was answered (ISO), for the caller's timer. */
  answeredAt?: string;
  /** The sender's forwarding numbers, read when the call started. */
  numbers: PhoneTarget[];
  phone?: PhoneForwarding;
  /** Settles when a room being replaced (state room: moving) is ready: joins wait for it. */
  roomReady?: Promise<void>;
  /** A call from a relayed email's To/Cc link: its other recipients may join once answered. */
  group: GroupCall | undefined;
}

/** This node's live calls, by id. */
export class LiveCalls {
  readonly #calls = new Map<string, LiveCall>();

  get(callId: string): LiveCall | undefined {
    return this.#calls.get(callId);
  }

  /** Whether `call` is still the live call of its id (it may have ended during an await). */
  isLive(call: LiveCall): boolean {
    return this.#calls.get(call.id) === call;
  }

  add(call: LiveCall): void {
    this.#calls.set(call.id, call);
  }

  /** Removes the call; false if it was not live. */
  remove(call: LiveCall): boolean {
    return this.isLive(call) && this.#calls.delete(call.id);
  }

  all(): LiveCall[] {
    return [...this.#calls.values()];
  }

  ofAccount(accountId: number): LiveCall[] {
    return this.all().filter((call) => call.accountId === accountId);
  }

  /** The call this device answered. */
  answeredBy(socket: Peer): LiveCall | undefined {
    return this.all().find((c) => c.answer?.socket.id === socket.id);
  }

  /** The answered call about one email, if one is running (group replies). */
  groupCall(accountId: number, messageKey: string): LiveCall | undefined {
    return this.all().find(
      (c) =>
        c.accountId === accountId &&
        c.group?.messageKey === messageKey &&
        c.state.kind === 'answered',
    );
  }
}

/** The first caller is still in the call (a group call may go on without them). */
export function callerPresent(call: LiveCall): boolean {
  return call.state.kind !== 'answered' || call.state.callerPresent;
}

/** The first caller, while still in the call. */
export function isCaller(call: LiveCall, socket: Peer): boolean {
  return call.caller.socketId === socket.id && callerPresent(call);
}

/**
 * The reply pages (and phone) in the call: the first caller while there, and
 * the guests. `present`: whether the first caller is there, when the call's
 * state no longer says (it has just ended).
 */
export function recipientPages(call: LiveCall, present = callerPresent(call)): Caller[] {
  const first = present ? [call.caller] : [];
  return [...first, ...(call.group?.guests.map((guest) => guest.caller) ?? [])];
}

export function participantsOf(call: LiveCall): Participant[] {
  const sender: Participant[] = call.answer
    ? [{ peerId: call.answer.socket.id, name: call.senderName, role: 'sender' }]
    : [];
  const first: Participant[] = callerPresent(call)
    ? [{ peerId: call.caller.peerId, name: call.incoming.callerName, role: 'recipient' }]
    : [];
  const guests = (call.group?.guests ?? []).map((guest): Participant => ({
    peerId: guest.caller.peerId,
    name: guest.name,
    role: 'recipient',
  }));
  return [...sender, ...first, ...guests];
}

/** The names of the recipients talking in the call. */
export function talkingIn(call: LiveCall): string[] {
  return participantsOf(call)
    .filter((p) => p.role === 'recipient')
    .map((p) => p.name);
}

/** What a peer may send: a voice answer takes no video place (a group call has four). */
export function kindsOf(video: boolean): ('audio' | 'video')[] {
  return video ? ['audio', 'video'] : ['audio'];
}

// Group replies: the other recipients of an email in the call about it. A
// call made from a relayed To/Cc link becomes joinable once answered; this
// holds who joined and which places are promised to joins being set up.
// Whether the first caller is still there is the call's state (call-machine.ts).
import { MAX_CALL_PARTICIPANTS, MAX_VIDEO_SENDERS } from '../../protocol/group.js';
import type { PageCaller } from './caller.js';

export interface Guest {
  caller: PageCaller;
  name: string;
  linkId: number;
  /** Its call_guests row, once written. */
  record: Promise<number>;
}

export class GroupCall {
  readonly messageKey: string;
  /** The first caller's link. */
  readonly #callerLinkId: number;
  readonly #guests = new Map<string, Guest>();
  /** Joins being set up: their links, and whether each was promised a video place. */
  readonly #pending = new Map<symbol, { linkId: number; video: boolean }>();

  constructor(messageKey: string, callerLinkId: number) {
    this.messageKey = messageKey;
    this.#callerLinkId = callerLinkId;
  }

  get guests(): Guest[] {
    return [...this.#guests.values()];
  }

  guest(socketId: string): Guest | undefined {
    return this.#guests.get(socketId);
  }

  /**
   * A place for one more (the sender counts), joins being set up included.
   * `callerPresent`: the first caller is still in the call.
   */
  hasRoom(callerPresent: boolean): boolean {
    const recipients = (callerPresent ? 1 : 0) + this.#guests.size;
    return 1 + recipients + this.#pending.size < MAX_CALL_PARTICIPANTS;
  }

  /** Someone is in the call, or joining it, through this link. */
  hasLink(linkId: number, callerPresent: boolean): boolean {
    return (
      (callerPresent && this.#callerLinkId === linkId) ||
      this.guests.some((guest) => guest.linkId === linkId) ||
      [...this.#pending.values()].some((join) => join.linkId === linkId)
    );
  }

  /** Whether one more may send video, given the room's video senders now. */
  videoPlaceFree(videoSenders: number): boolean {
    const promised = [...this.#pending.values()].filter((join) => join.video).length;
    return videoSenders + promised < MAX_VIDEO_SENDERS;
  }

  /** Promises a place (and maybe a video place) to a join being set up; returns its release. */
  reserve(linkId: number, video: boolean): () => void {
    const key = Symbol('join');
    this.#pending.set(key, { linkId, video });
    return () => this.#pending.delete(key);
  }

  add(socketId: string, guest: Guest): void {
    this.#guests.set(socketId, guest);
  }

  remove(socketId: string): Guest | undefined {
    const guest = this.#guests.get(socketId);
    this.#guests.delete(socketId);
    return guest;
  }
}

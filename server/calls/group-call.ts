// Group replies: the other recipients of an email in the call about it. A
// call made from a relayed To/Cc link becomes joinable once answered; this
// holds who joined, whether the first caller is still there and which places
// are promised to joins being set up.
import { MAX_CALL_PARTICIPANTS, MAX_VIDEO_SENDERS } from '../../protocol/group.js';
import type { PageCaller } from './caller.js';

export interface Guest {
  caller: PageCaller;
  name: string;
  linkId: number;
  /** Its call_guests row, once written. */
  record: Promise<number>;
}

/** Reply pages watching one email's call (its recipients' open pages). */
export const groupChannel = (accountId: number, messageKey: string): string =>
  `group:${accountId}:${messageKey}`;

/** One recipient's open reply pages (where the sender's invitation goes). */
export const groupLinkChannel = (linkId: number): string => `group-link:${linkId}`;

export class GroupCall {
  readonly messageKey: string;
  /** The first caller's link. */
  readonly #callerLinkId: number;
  readonly #guests = new Map<string, Guest>();
  #callerPresent = true;
  /** Joins being set up: their links, and whether each was promised a video place. */
  readonly #pending = new Map<symbol, { linkId: number; video: boolean }>();

  constructor(messageKey: string, callerLinkId: number) {
    this.messageKey = messageKey;
    this.#callerLinkId = callerLinkId;
  }

  /** The first caller is still in the call (the others may talk on without them). */
  get callerPresent(): boolean {
    return this.#callerPresent;
  }

  callerLeft(): void {
    this.#callerPresent = false;
  }

  get guests(): Guest[] {
    return [...this.#guests.values()];
  }

  guest(socketId: string): Guest | undefined {
    return this.#guests.get(socketId);
  }

  /** Recipients in the call now: the first caller (while there) and the guests. */
  get recipients(): number {
    return (this.#callerPresent ? 1 : 0) + this.#guests.size;
  }

  /** A place for one more (the sender counts), joins being set up included. */
  get hasRoom(): boolean {
    return 1 + this.recipients + this.#pending.size < MAX_CALL_PARTICIPANTS;
  }

  /** Someone is in the call, or joining it, through this link. */
  hasLink(linkId: number): boolean {
    return (
      (this.#callerPresent && this.#callerLinkId === linkId) ||
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

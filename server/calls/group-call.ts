// Group replies: the other recipients of an email in the call about it. A
// call made from a relayed To/Cc link becomes joinable once answered; this
// holds who joined, whether the first caller is still there and how many
// places are promised to joins being set up.
import { MAX_CALL_PARTICIPANTS } from '../../protocol/group.js';
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
  #pendingJoins = 0;

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
    return 1 + this.recipients + this.#pendingJoins < MAX_CALL_PARTICIPANTS;
  }

  /** Someone is in the call through this link now. */
  hasLink(linkId: number): boolean {
    return (
      (this.#callerPresent && this.#callerLinkId === linkId) ||
      this.guests.some((guest) => guest.linkId === linkId)
    );
  }

  /** Promises a place to a join being set up; returns its release. */
  reserve(): () => void {
    this.#pendingJoins += 1;
    let released = false;
    return () => {
      if (!released) this.#pendingJoins -= 1;
      released = true;
    };
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

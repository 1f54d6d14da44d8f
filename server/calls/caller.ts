// Whoever placed a call, as the orchestrator sees it: a reply page (a socket
// in the call's room) or a phone calling one of the sender's numbers (through
// the SIP gateway). The ring plan is the same for both.
import { offersVoiceMessage, type CallEnded, type CallProgress } from '../../protocol/call.js';
import type { SendCodecRequest } from '../../protocol/media.js';
import type { InboundCall } from '../../gateway/inbound-call.js';
import type { Room } from '../../media/room.js';
import type { RoomMembership } from './room-membership.js';
import type { Peer } from './peer.js';

export interface Caller {
  /** Its peer in the call's room. */
  readonly peerId: string;
  /** The reply page's socket id (to match its hang-up and disconnect). */
  readonly socketId: string | undefined;
  /** What the answering device must send with (a phone's codec), if anything. */
  readonly answererCodec: SendCodecRequest | undefined;
  progress(progress: CallProgress): void;
  /** A device answered: the caller talks with that peer from now on. */
  connected(answererPeerId: string): void;
  ended(ended: CallEnded): void;
  /** Leaves the room (its media closes). */
  leave(): void;
}

/** A reply page: its socket gets the progress and sets up its own media. */
export class PageCaller implements Caller {
  readonly answererCodec = undefined;
  readonly #socket: Peer;
  #room: Room;
  readonly #members: RoomMembership;

  constructor(socket: Peer, room: Room, members: RoomMembership) {
    this.#socket = socket;
    this.#room = room;
    this.#members = members;
  }

  get peerId(): string {
    return this.#socket.id;
  }

  get socketId(): string {
    return this.#socket.id;
  }

  progress(progress: CallProgress): void {
    this.#socket.emit('call:progress', progress);
  }

  connected(): void {
    // The page consumes the answerer's producers as they appear.
  }

  ended(ended: CallEnded): void {
    this.#socket.emit('call:ended', ended);
  }

  /** The call's room moved to another worker: the page sets its media up there. */
  moveTo(room: Room): void {
    this.#room = room;
    this.#members.move(this.#socket, room);
  }

  /** A phone leg settled on a codec: the page re-sends its microphone with it. */
  sendCodec(request: SendCodecRequest): void {
    this.#socket.emit('media:sendCodec', request);
  }

  leave(): void {
    this.#members.leave(this.#socket, this.#room);
  }
}

/** A phone calling one of the sender's numbers: progress becomes SIP answers. */
export class PhoneCaller implements Caller {
  readonly socketId = undefined;
  readonly #inbound: InboundCall;

  constructor(inbound: InboundCall) {
    this.#inbound = inbound;
  }

  get peerId(): string {
    return this.#inbound.peerId;
  }

  get answererCodec(): SendCodecRequest | undefined {
    const codec = this.#inbound.codec;
    return codec
      ? { kind: 'audio', mimeType: codec.mimeType, clockRate: codec.clockRate }
      : undefined;
  }

  progress(progress: CallProgress): void {
    // The phone hears ringback from its carrier meanwhile (we sent 180).
    if (progress.stage === 'declined') this.#inbound.reject(true);
    else if (offersVoiceMessage(progress.stage)) this.#inbound.reject(false);
  }

  connected(answererPeerId: string): void {
    this.#inbound.answer(answererPeerId);
  }

  ended(): void {
    this.#inbound.hangup();
  }

  leave(): void {
    this.#inbound.hangup();
  }
}

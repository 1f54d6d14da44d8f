// A phone calling one of our numbers (DID), as the server sees it: who calls
// which number, its media in the call's room (a PlainRtpLeg answering the
// phone's SDP offer), and the SIP dialog behind it.
import { EventEmitter } from 'node:events';
import { PlainRtpLeg, type LegCodec } from '../media/plain-rtp-leg.js';
import type { Room } from '../media/room.js';
import type { LegAddresses } from '../media/plain-rtp-leg.js';
import type { InboundDialog } from './inbound-dialog.js';
import { roomSdpCodecs, toLegCodec } from './leg-codecs.js';
import {
  answerDirection,
  buildOffer,
  parseOffer,
  readDirection,
  SdpError,
  type MediaDirection,
  type NegotiatedMedia,
} from './sdp.js';
import type { Trunk } from './trunks.js';

export interface InboundCallEvents {
  /** The phone hung up or gave up, or the call could not go on. */
  ended: [reason: string];
}

export class InboundCall extends EventEmitter<InboundCallEvents> {
  /** The number called (E.164). */
  readonly number: string;
  /** The calling number or SIP user, as the carrier presents it. */
  readonly from: string;
  readonly #dialog: InboundDialog;
  readonly #offer: string;
  readonly #trunk: Trunk;
  readonly #media: LegAddresses;
  readonly #peerAddress: string;
  /** reject() or hangup() was called: the server knows. */
  #ending = false;
  #leg: PlainRtpLeg | undefined;
  #negotiated: NegotiatedMedia | undefined;
  readonly #sessionId = String(Date.now());

  constructor(options: {
    number: string;
    from: string;
    dialog: InboundDialog;
    offer: string;
    trunk: Trunk;
    media: LegAddresses;
    /** Where its SIP came from (its media may come from there too: NAT). */
    peerAddress: string;
  }) {
    super();
    this.number = options.number;
    this.from = options.from;
    this.#dialog = options.dialog;
    this.#offer = options.offer;
    this.#trunk = options.trunk;
    this.#media = options.media;
    this.#peerAddress = options.peerAddress;
    this.#dialog.on('ended', (_by, reason) => {
      this.#leg?.close();
      // Told unless we ended it (a missing ACK ends it too, and must be told).
      if (!this.#ending) this.emit('ended', reason);
    });
  }

  /** The peer id of the phone in the room. */
  get peerId(): string {
    return `phone-in-${this.#dialog.callId}`;
  }

  /** The codec the answering browser must send (the phone's), once attached. */
  get codec(): LegCodec | undefined {
    const codec = this.#negotiated?.codec;
    return codec ? toLegCodec(codec) : undefined;
  }

  /**
   * Brings the phone into the call's room: reads its offer (488 when there is
   * no codec we share) and starts receiving its audio. Then tells it we ring.
   */
  async attach(room: Room): Promise<void> {
    const leg = await PlainRtpLeg.open(room, this.peerId, this.#media);
    if (this.#dialog.state === 'ended') {
      leg.close(); // the phone gave up while its leg opened
      throw new Error('the phone hung up');
    }
    this.#leg = leg;
    let negotiated: NegotiatedMedia;
    try {
      negotiated = parseOffer(this.#offer, roomSdpCodecs(leg, this.#trunk.codecs));
    } catch (error) {
      if (error instanceof SdpError) this.#dialog.reject(488, 'Not Acceptable Here');
      throw error;
    }
    this.#negotiated = negotiated;
    leg.setRemote(
      { ip: negotiated.address, port: negotiated.port, rtcpPort: negotiated.rtcpPort },
      [this.#peerAddress],
    );
    // Resolves once the phone's stream is known (maybe only at its first packet).
    leg.receive(toLegCodec(negotiated.codec), negotiated.ssrc).catch(() => {
      this.hangup(); // the room closed under it: nothing to talk through
    });
    this.#dialog.ringing();
  }

  /** A device answered: send it the phone's audio and the phone the device's. */
  answer(answererPeerId: string): void {
    const leg = this.#leg;
    const negotiated = this.#negotiated;
    const codec = this.codec;
    if (!leg || !negotiated || !codec) return;
    leg.follow(answererPeerId, codec);
    let version = 1;
    const sdp = (direction: MediaDirection): string =>
      buildOffer({
        sessionId: this.#sessionId,
        version: version++,
        ...leg.local,
        codecs: [negotiated.codec],
        direction,
      });
    // Hold and unhold from the phone: mirror its direction, stop or restart sending.
    this.#dialog.answerReoffer = (offer) => {
      const direction = answerDirection(offer ? readDirection(offer) : 'sendrecv');
      void leg.setSending(direction === 'sendrecv' || direction === 'sendonly');
      return sdp(direction);
    };
    this.#dialog.answer(sdp('sendrecv'));
  }

  /** Nobody took the call: 480, or 486 when the sender is busy. */
  reject(busy: boolean): void {
    this.#ending = true;
    if (busy) this.#dialog.reject(486, 'Busy Here');
    else this.#dialog.reject(480, 'Temporarily Unavailable');
    this.#leg?.close();
  }

  hangup(): void {
    this.#ending = true;
    this.#dialog.hangup();
    this.#leg?.close();
  }
}

// The media of one phone attempt: which SDP answer its PlainRtpLeg follows,
// and what we answer the phone's re-offers (hold, unhold) with.
//
//   waiting ── early SDP we can use ──> early (media flows: ringback)
//   waiting | early ── early SDP we cannot use ──> unchanged (a preview only, RFC 3960)
//   waiting | early ── 2xx SDP we can use (or none, after a usable early) ──> final
//   waiting | early ── 2xx SDP we cannot use (or none, and no usable early) ──> refused
//
// Each step to a new answer points the leg there; when the codec changes (a
// fork answering another codec than early media's) both directions switch
// and the caller's browser is told the codec to send ('sendCodec').
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { PlainRtpLeg } from '../media/plain-rtp-leg.js';
import type { GatewayLogger } from './gateway-logger.js';
import { toLegCodec } from './leg-codecs.js';
import {
  answerDirection,
  buildOffer,
  parseAnswer,
  readDirection,
  SdpError,
  type MediaDirection,
  type NegotiatedMedia,
  type SdpCodec,
} from './sdp.js';
import type { Trunk } from './trunks.js';

export interface PhoneLegMediaEvents {
  /** The caller's browser must send its audio with this codec. */
  sendCodec: [codec: { mimeType: string; clockRate: number }];
  /** The phone put the call on hold (true) or took it off (false); only once answered. */
  held: [held: boolean];
}

export interface PhoneLegMediaOptions {
  leg: PlainRtpLeg;
  /** Our codecs, in the trunk's order, with the room's payload types. */
  offered: SdpCodec[];
  trunk: Trunk;
  /** The caller's peer in the room: its audio goes to the phone. */
  callerPeerId: string;
  /** Our SDP session id (the same for every attempt of a call). */
  sessionId: string;
  logger: GatewayLogger;
  /** Logged with every warning. */
  context: object;
}

export class PhoneLegMedia extends EventEmitter<PhoneLegMediaEvents> {
  readonly #options: PhoneLegMediaOptions;
  /** The answer the leg follows now: early media's, then the 2xx's. */
  #following: NegotiatedMedia | undefined;
  /** The 2xx's answer, once judged usable. */
  #final: NegotiatedMedia | undefined;
  #sdpVersion = 1;
  #held = false;
  /** Our offer for the INVITE: every codec we take, sendrecv. */
  readonly offer: string;

  constructor(options: PhoneLegMediaOptions) {
    super();
    this.#options = options;
    this.offer = this.#sdp(options.offered, 'sendrecv');
  }

  /** A 1xx's SDP: followed when usable (ringback), else ignored. */
  early(sdp: string): void {
    try {
      this.#follow(parseAnswer(sdp, this.#options.offered));
    } catch (error) {
      this.#warn(error, 'ignored an unusable early SDP');
    }
  }

  /**
   * Judges a 2xx's answer (its SDP, else early media's: a 2xx should repeat
   * it, some carriers do not): undefined when usable, else why not.
   */
  refusal(sdp: string | undefined): string | undefined {
    try {
      this.#final = sdp ? parseAnswer(sdp, this.#options.offered) : this.#following;
      if (!this.#final) throw new SdpError('the answer has no SDP');
      return undefined;
    } catch (error) {
      this.#warn(error, 'the phone answered unusable SDP');
      return `unusable SDP: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** The 2xx's answer, once judged usable (see `refusal`). */
  get answer(): NegotiatedMedia | undefined {
    return this.#final;
  }

  /** The 2xx was taken (refusal() found its answer usable): it wins over early media's. */
  answered(): void {
    if (this.#final) this.#follow(this.#final);
  }

  /**
   * Keypad tones to the phone (RFC 4733); false when its answer did not take
   * telephone-event or no audio flows yet.
   */
  sendTones(digits: string): boolean {
    const event = this.#final?.telephoneEvent;
    return event !== undefined && this.#options.leg.sendTones(digits, event);
  }

  /**
   * A re-INVITE from the phone: mirror its direction (hold, unhold); our SDP
   * with the settled codec, or undefined before there is one.
   */
  answerReoffer(offer: string | undefined): string | undefined {
    const offered = offer ? readDirection(offer) : 'sendrecv';
    const direction = answerDirection(offered);
    // Pausing can fail when the room closes under it (the call ending meanwhile).
    this.#options.leg
      .setSending(direction === 'sendrecv' || direction === 'sendonly')
      .catch((error: unknown) =>
        this.#warn(error, 'could not pause or resume the audio to the phone'),
      );
    const held = offered === 'sendonly' || offered === 'inactive';
    if (held !== this.#held && this.#final) {
      this.#held = held;
      this.emit('held', held);
    }
    const settled = this.#final ?? this.#following;
    if (!settled) return undefined;
    return this.#sdp(
      [settled.codec, ...(settled.telephoneEvent ? [settled.telephoneEvent] : [])],
      direction,
    );
  }

  /**
   * Points the leg at `answer`: where to send, with which payload types. Both
   * directions start (or switch) when its codec differs from the one before.
   */
  #follow(answer: NegotiatedMedia): void {
    const { leg, offered, trunk } = this.#options;
    const before = this.#following;
    this.#following = answer;
    // The phone sends with the payload type we offered; it wants ours sent
    // with the one it answered (RFC 3264 section 5.1).
    const ours = offered.find((c) => c.name === answer.codec.name) ?? answer.codec;
    leg.sendPayloadTypeAs(ours.payloadType, answer.codec.payloadType);
    leg.setRemote(
      { ip: answer.address, port: answer.port, rtcpPort: answer.rtcpPort },
      trunkAddresses(trunk),
    );
    if (before && sameCodec(before.codec, answer.codec)) return;
    const codec = toLegCodec(ours);
    leg.follow(this.#options.callerPeerId, codec);
    this.emit('sendCodec', { mimeType: codec.mimeType, clockRate: codec.clockRate });
    // Resolves once the far end's stream is known (maybe at its first packet).
    leg.receive(codec, answer.ssrc).catch((error: unknown) => {
      this.#warn(error, 'phone media could not start');
    });
  }

  #sdp(codecs: SdpCodec[], direction: MediaDirection): string {
    return buildOffer({
      sessionId: this.#options.sessionId,
      version: this.#sdpVersion++,
      ...this.#options.leg.local,
      codecs,
      direction,
    });
  }

  #warn(error: unknown, message: string): void {
    this.#options.logger.warn({ err: error, ...this.#options.context }, message);
  }
}

function sameCodec(a: SdpCodec, b: SdpCodec): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate;
}

/** Where a trunk's SIP comes from, so its media may too (NAT). */
function trunkAddresses(trunk: Trunk): string[] {
  return [...(isIP(trunk.host) ? [trunk.host] : []), ...trunk.allowFrom];
}

// The phone side of a call in a room: a plain-RTP peer (no ICE, no DTLS) that
// sends one peer's audio out and brings the far end's audio in, with whatever
// codec the SIP offer/answer settled. No transcoding: the browser is asked to
// send that codec (see `follow`).
import type { types } from 'mediasoup';
import type { PlainPeerOptions, Room } from './room.js';

/** A codec as it appears on the wire for this leg. */
export interface LegCodec {
  /** `audio/PCMU`, `audio/opus`, ... */
  mimeType: string;
  clockRate: number;
  channels?: number | undefined;
  payloadType: number;
  parameters?: Record<string, string | number> | undefined;
}

export class PlainRtpLeg {
  readonly peerId: string;
  readonly #room: Room;
  readonly #transport: types.PlainTransport;
  #followed: { peerId: string; codec: LegCodec } | undefined;
  #sending: types.Consumer | undefined;
  #receiving: string | undefined;
  readonly #onProducer = (): void => void this.#sendFollowed();

  private constructor(room: Room, peerId: string, transport: types.PlainTransport) {
    this.#room = room;
    this.peerId = peerId;
    this.#transport = transport;
    room.on('producerAdded', this.#onProducer);
    transport.observer.once('close', () => room.off('producerAdded', this.#onProducer));
  }

  static async open(room: Room, peerId: string, options: PlainPeerOptions): Promise<PlainRtpLeg> {
    return new PlainRtpLeg(room, peerId, await room.addPlainPeer(peerId, options));
  }

  /** The address and ports to put in our SDP. */
  get local(): { address: string; port: number; rtcpPort: number } {
    const { tuple, rtcpTuple } = this.#transport;
    return {
      // localAddress is the announced address when one is configured.
      address: tuple.localAddress,
      port: tuple.localPort,
      rtcpPort: rtcpTuple?.localPort ?? tuple.localPort + 1,
    };
  }

  /**
   * The room's own version of a codec (its payload type is what we send
   * with), or undefined when the room cannot carry it.
   */
  roomCodec(mimeType: string, clockRate: number): types.RtpCodecCapability | undefined {
    return this.#room.rtpCapabilities.codecs?.find(
      (c) => c.mimeType.toLowerCase() === mimeType.toLowerCase() && c.clockRate === clockRate,
    );
  }

  get closed(): boolean {
    return this.#transport.closed;
  }

  /**
   * Brings the far end's audio into the room (announced like any producer).
   * mediasoup routes incoming RTP by SSRC, so the far end's must be known.
   */
  async receive(codec: LegCodec, ssrc: number): Promise<void> {
    if (this.#receiving) return;
    this.#receiving = await this.#room.producePlain(this.peerId, {
      codecs: [toCodecParameters(codec, codec.payloadType)],
      encodings: [{ ssrc }],
    });
  }

  /**
   * Sends `peerId`'s audio to the far end whenever that peer sends it with
   * `codec`, now or later (a browser re-sends its microphone with the phone's
   * codec after the answer).
   */
  follow(peerId: string, codec: LegCodec): void {
    this.#followed = { peerId, codec };
    void this.#sendFollowed();
  }

  close(): void {
    this.#room.off('producerAdded', this.#onProducer);
    if (!this.#room.closed) this.#room.removePeer(this.peerId);
    else this.#transport.close();
  }

  async #sendFollowed(): Promise<void> {
    const followed = this.#followed;
    if (!followed || this.closed || (this.#sending && !this.#sending.closed)) return;
    const producer = this.#room
      .producers()
      .find(
        (p) =>
          p.peerId === followed.peerId &&
          p.kind === 'audio' &&
          sameCodec(this.#room.producerCodec(p.producerId), followed.codec),
      );
    if (!producer) return;
    this.#sending = await this.#room.consumePlain(this.peerId, producer.producerId, {
      codecs: [
        {
          ...toCodecParameters(followed.codec, followed.codec.payloadType),
          kind: 'audio',
          preferredPayloadType: followed.codec.payloadType,
        },
      ],
      headerExtensions: [],
    });
  }
}

function toCodecParameters(codec: LegCodec, payloadType: number): types.RtpCodecParameters {
  return {
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    payloadType,
    ...(codec.channels && codec.channels > 1 ? { channels: codec.channels } : {}),
    parameters: codec.parameters ?? {},
    rtcpFeedback: [],
  };
}

function sameCodec(codec: types.RtpCodecParameters | undefined, wanted: LegCodec): boolean {
  return (
    codec !== undefined &&
    codec.mimeType.toLowerCase() === wanted.mimeType.toLowerCase() &&
    codec.clockRate === wanted.clockRate
  );
}

// The phone side of a call in a room: a plain-RTP peer (no ICE, no DTLS) that
// sends one peer's audio out and brings the far end's audio in, with whatever
// codec the SIP offer/answer settled. No transcoding: the browser is asked to
// send that codec (see `follow`). The phone talks to an RtpRelay, which learns
// its SSRC and address; the relay talks to the room's PlainTransport.
import type { types } from 'mediasoup';
import type { Room } from './room.js';
import { RtpRelay, type RelayAddresses } from './rtp-relay.js';

/** Where phone media listens, and the address put in SDP. */
export type LegAddresses = RelayAddresses;

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
  readonly #relay: RtpRelay;
  #followed: Followed | undefined;
  #sending: types.Consumer | undefined;
  #consuming = false;
  /** The codec the far end's stream is wanted in (the last answer's). */
  #incomingCodec: LegCodec | undefined;
  /** The producer for the far end's stream, and its codec. */
  #incoming: { producerId: string; codec: LegCodec } | undefined;
  /** Producing (or re-producing) runs one at a time. */
  #producing: Promise<void> = Promise.resolve();
  /** False while the far end holds the call (we send it nothing). */
  #sendingWanted = true;
  readonly #onProducer = (): void => this.#trySendFollowed();

  private constructor(
    room: Room,
    peerId: string,
    transport: types.PlainTransport,
    relay: RtpRelay,
  ) {
    this.#room = room;
    this.peerId = peerId;
    this.#transport = transport;
    this.#relay = relay;
    transport.observer.once('close', () => relay.close());
    room.on('producerAdded', this.#onProducer);
    transport.observer.once('close', () => room.off('producerAdded', this.#onProducer));
  }

  static async open(room: Room, peerId: string, addresses: LegAddresses): Promise<PlainRtpLeg> {
    const relay = await RtpRelay.open(addresses);
    try {
      const transport = await room.addPlainPeer(peerId, relay.inner.ip);
      await transport.connect({ ip: relay.inner.ip, port: relay.inner.port });
      relay.setMediasoup({ address: transport.tuple.localIp, port: transport.tuple.localPort });
      return new PlainRtpLeg(room, peerId, transport, relay);
    } catch (error) {
      relay.close();
      throw error;
    }
  }

  /** The address and ports to put in our SDP (the relay's). */
  get local(): { address: string; port: number; rtcpPort: number } {
    return this.#relay.local;
  }

  /**
   * Where the far end's SDP says to send (until its own packets say
   * otherwise), and the SIP peer's addresses, where its media may also come from.
   */
  setRemote(
    remote: { ip: string; port: number; rtcpPort: number },
    peerAddresses: readonly string[],
  ): void {
    this.#relay.setPhone(
      { address: remote.ip, port: remote.port },
      { address: remote.ip, port: remote.rtcpPort },
      peerAddresses,
    );
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
   * mediasoup routes RTP by SSRC: the relay presents every packet with one,
   * the SDP's when given before any packet, else the first packet's, so this
   * may resolve only once the far end sends. Called again with another codec
   * (a forked answer after early media), the stream is produced again with it
   * and the same SSRC (a later a=ssrc changes nothing: see `presentSsrc`).
   */
  receive(codec: LegCodec, announcedSsrc: number | undefined): Promise<void> {
    this.#incomingCodec = codec;
    // Now, not in the queue: a step still waiting for a first packet goes on with it.
    if (announcedSsrc !== undefined) this.#relay.presentSsrc(announcedSsrc);
    // A step that failed was reported to its own caller; the next one still runs.
    this.#producing = this.#producing.catch(() => undefined).then(() => this.#produceIncoming());
    return this.#producing;
  }

  /**
   * Sends `peerId`'s audio to the far end whenever that peer sends it with
   * `codec`, now or later (a browser re-sends its microphone with the phone's
   * codec after the answer). A new codec stops what went out with the old one.
   */
  follow(peerId: string, codec: LegCodec): void {
    const before = this.#followed;
    this.#followed = { peerId, codec };
    if (before && !sameFollowed(before, this.#followed)) this.#sending?.close();
    this.#trySendFollowed();
  }

  /** Stops or restarts what we send to the far end (it put the call on hold). */
  async setSending(on: boolean): Promise<void> {
    this.#sendingWanted = on;
    const consumer = this.#sending;
    if (!consumer || consumer.closed) return;
    if (on) await consumer.resume();
    else await consumer.pause();
  }

  /** The far end wants our stream with another payload type than the room's. */
  sendPayloadTypeAs(roomPayloadType: number, remotePayloadType: number): void {
    this.#relay.mapOutgoingPayloadType(roomPayloadType, remotePayloadType);
  }

  /** Keypad tones to the far end (RFC 4733); false when nothing flows to it yet. */
  sendTones(digits: string, telephoneEvent: { payloadType: number; clockRate: number }): boolean {
    return this.#relay.sendTones(digits, telephoneEvent.payloadType, telephoneEvent.clockRate);
  }

  /**
   * While a forwarded phone is asked to take the call: nothing passes between
   * it and the room (see RtpRelay.screen); our own audio and tones still go.
   */
  screen(on: boolean): void {
    this.#relay.screen(on);
  }

  /** Every RTP packet the far end sends (its keypad events); undefined stops. */
  listenToFarEnd(listener: ((packet: Buffer) => void) | undefined): void {
    this.#relay.listenToPhone(listener);
  }

  /** One packet of our own audio to the far end, in its stream (see RtpRelay.sendAudio). */
  sendAudio(
    codec: { payloadType: number; clockRate: number },
    payload: Buffer,
    samples: number,
    first: boolean,
  ): boolean {
    return this.#relay.sendAudio(codec.payloadType, codec.clockRate, payload, samples, first);
  }

  close(): void {
    this.#relay.close();
    this.#room.off('producerAdded', this.#onProducer);
    if (!this.#room.closed) this.#room.removePeer(this.peerId);
    else this.#transport.close();
  }

  /** The far end's stream as a producer with the codec last asked for (once is enough). */
  async #produceIncoming(): Promise<void> {
    const codec = this.#incomingCodec;
    if (!codec || (this.#incoming && sameLegCodec(this.#incoming.codec, codec))) return;
    // Always the relay's SSRC, never an SDP's directly: mediasoup drops packets
    // whose SSRC is not the producer's, and the relay writes its own into each.
    const ssrc =
      this.#relay.ssrc ??
      (await new Promise<number>((resolve) => this.#relay.once('ssrc', resolve)));
    // The codec may have changed again while waiting for the first packet.
    const wanted = this.#incomingCodec ?? codec;
    if (this.closed || (this.#incoming && sameLegCodec(this.#incoming.codec, wanted))) return;
    if (this.#incoming) this.#room.closeProducer(this.peerId, this.#incoming.producerId);
    this.#incoming = undefined;
    const producerId = await this.#room.producePlain(this.peerId, {
      codecs: [toCodecParameters(wanted, wanted.payloadType)],
      encodings: [{ ssrc }],
    });
    this.#incoming = { producerId, codec: wanted };
  }

  /** One attempt at a time; a failure (the leg closing meanwhile) is no crash. */
  #trySendFollowed(): void {
    if (this.#consuming) return;
    this.#consuming = true;
    this.#sendFollowed()
      .catch(() => undefined) // the room or the leg closed under it: nothing to send to
      .finally(() => (this.#consuming = false));
  }

  /**
   * Consumes the followed peer's producer in the followed codec. A `follow`
   * (or a new producer) arriving while a consume awaits finds `#consuming`
   * set and returns: so this loops until what it made still matches what is
   * followed, closing a consumer made for what no longer is.
   */
  async #sendFollowed(): Promise<void> {
    for (;;) {
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
      const consumer = await this.#room.consumePlain(this.peerId, producer.producerId, {
        codecs: [
          {
            ...toCodecParameters(followed.codec, followed.codec.payloadType),
            kind: 'audio',
            preferredPayloadType: followed.codec.payloadType,
          },
        ],
        headerExtensions: [],
      });
      if (!this.#followed || !sameFollowed(this.#followed, followed)) {
        consumer.close();
        continue;
      }
      this.#sending = consumer;
      if (!this.#sendingWanted) await consumer.pause();
      return;
    }
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

interface Followed {
  peerId: string;
  codec: LegCodec;
}

function sameFollowed(a: Followed, b: Followed): boolean {
  return a.peerId === b.peerId && sameLegCodec(a.codec, b.codec);
}

function sameLegCodec(a: LegCodec, b: LegCodec): boolean {
  return (
    a.mimeType.toLowerCase() === b.mimeType.toLowerCase() &&
    a.clockRate === b.clockRate &&
    a.payloadType === b.payloadType
  );
}

function sameCodec(codec: types.RtpCodecParameters | undefined, wanted: LegCodec): boolean {
  return (
    codec !== undefined &&
    codec.mimeType.toLowerCase() === wanted.mimeType.toLowerCase() &&
    codec.clockRate === wanted.clockRate
  );
}

// The one RTP stream a phone hears from us. Its packets come from mediasoup
// (the caller's audio) and from us (keypad tones, the announcement a forwarded
// phone hears before it is connected). The phone must see one unbroken
// stream: one SSRC, sequence numbers that follow each other, timestamps that
// go on at the stream's clock. mediasoup's own stream passes unchanged until
// something else goes out (the first consumer's SSRC, numbers and
// timestamps stay, so the phone's RTCP still names them); after our own
// packets, or when mediasoup's consumer is re-made (a new SSRC), its packets
// are re-based to follow on.
import { randomInt } from 'node:crypto';

/** How mediasoup's stream maps onto ours. */
interface Source {
  ssrc: number;
  seqOffset: number;
  timestampOffset: number;
}

export class PhoneStream {
  #ssrc: number | undefined;
  #seq = 0;
  #timestamp = 0;
  #sentAt = 0;
  /** Samples in our last own audio packet (the next one follows it). */
  #lastSamples = 0;
  #source: Source | undefined;
  /** Our own packets went out (or mediasoup's were held back): re-base mediasoup's sequence numbers. */
  #rebase = false;
  /** The clock timestamps advance at; set by whoever sends with a clock (tones, prompts). */
  clockRate = 8000;

  /** Something flows to the phone already (tones need a stream to go into). */
  get started(): boolean {
    return this.#ssrc !== undefined;
  }

  /**
   * Rewrites a packet from mediasoup in place to continue the stream (its
   * SSRC, sequence number and timestamp).
   */
  fromMediasoup(packet: Buffer, now = Date.now()): void {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const timestamp = packet.readUInt32BE(4);
    if (this.#ssrc === undefined) {
      this.#ssrc = ssrc;
      this.#source = { ssrc, seqOffset: 0, timestampOffset: 0 };
    } else if (this.#source?.ssrc !== ssrc) {
      // A new consumer (or the first after our own packets began the stream).
      this.#source = {
        ssrc,
        seqOffset: this.#seq + 1 - seq,
        timestampOffset: this.#now(now) - timestamp,
      };
    } else if (this.#rebase) {
      // The same stream after our own packets: its clock went on meanwhile.
      this.#source.seqOffset = this.#seq + 1 - seq;
    }
    this.#rebase = false;
    const source = this.#source;
    this.#seq = (seq + source.seqOffset) & 0xffff;
    this.#timestamp = (timestamp + source.timestampOffset) >>> 0;
    this.#sentAt = now;
    this.#lastSamples = 0;
    packet.writeUInt32BE(this.#ssrc, 8);
    packet.writeUInt16BE(this.#seq, 2);
    packet.writeUInt32BE(this.#timestamp, 4);
  }

  /** A packet from mediasoup that does not go out (a tone or a prompt plays). */
  heldBack(): void {
    this.#rebase = true;
  }

  /**
   * One RFC 4733 event packet: the event's timestamp is fixed by the caller
   * (`eventTimestamp`), every packet of it carries the same.
   */
  event(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): Buffer {
    return this.#own(payloadType, marker, timestamp, payload);
  }

  /**
   * One packet of our own audio (`samples` long): the first of a talkspurt
   * starts "now" on the clock with the marker bit, the next follow it.
   */
  audio(payloadType: number, payload: Buffer, samples: number, first: boolean): Buffer {
    const timestamp =
      first || this.#lastSamples === 0
        ? this.#now(Date.now())
        : (this.#timestamp + this.#lastSamples) >>> 0;
    const packet = this.#own(payloadType, first, timestamp, payload);
    this.#lastSamples = samples;
    return packet;
  }

  /** "Now" on the stream's clock: where an event starts. */
  eventTimestamp(): number {
    return this.#now(Date.now());
  }

  #own(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): Buffer {
    if (this.#ssrc === undefined) {
      // Nothing went out yet: we start the stream (RFC 3550: random beginnings).
      this.#ssrc = randomInt(1, 0xffffffff);
      this.#seq = randomInt(0, 0x8000);
    }
    this.#rebase = true;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = timestamp >>> 0;
    this.#sentAt = Date.now();
    this.#lastSamples = 0;
    const packet = Buffer.alloc(12 + payload.length);
    packet[0] = 0x80;
    packet[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
    packet.writeUInt16BE(this.#seq, 2);
    packet.writeUInt32BE(this.#timestamp, 4);
    packet.writeUInt32BE(this.#ssrc, 8);
    payload.copy(packet, 12);
    return packet;
  }

  #now(now: number): number {
    if (this.#sentAt === 0) return randomInt(0, 0x7fffffff);
    return (this.#timestamp + Math.round(((now - this.#sentAt) * this.clockRate) / 1000)) >>> 0;
  }
}

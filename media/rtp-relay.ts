// A small UDP relay between a phone (or a carrier's media server) and the
// room's PlainTransport. mediasoup routes incoming RTP by SSRC, and SIP
// equipment rarely announces its SSRC in SDP: the relay presents every packet
// from the phone under one SSRC, the SDP's a=ssrc when the leg gives it before
// any packet, else the first packet's (see `presentSsrc`). It also latches
// onto where the phone really sends from (symmetric RTP, RFC 4961), which is
// right behind NAT where the SDP is not.
//
//   phone ── RTP ──> rtp socket ─┐                 ┌─> PlainTransport (RTP+RTCP muxed)
//   phone ── RTCP ─> rtcp socket ─┴─> inner socket ─┘
//   phone <── RTP / RTCP (by packet type) ── inner socket <── PlainTransport
//
// It also sends keypad tones to the phone (RFC 4733 telephone-event) and our
// own audio (the announcement a forwarded phone hears) inside the stream it
// forwards, which stays one unbroken stream (phone-stream.ts; mediasoup's
// audio held back meanwhile). While a forwarded phone is asked to take the
// call (`screen`), nothing passes between the phone and the room: the phone's
// packets go only to a listener (its keypad), the room's are held back.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { PhoneStream } from './phone-stream.js';

export interface RtpRelayEvents {
  /** The SSRC the phone's stream is presented with, once known (see `presentSsrc`). */
  ssrc: [ssrc: number];
}

export interface RelayAddresses {
  listenIp: string;
  /** Put in SDP instead of listenIp (behind NAT). */
  announcedAddress?: string | undefined;
  portRange?: { min: number; max: number } | undefined;
}

interface Endpoint {
  address: string;
  port: number;
}

/** RFC 4733 section 3.2: 0-9, *, #, A-D. */
const DTMF_EVENTS = '0123456789*#ABCD';
const TONE_MS = 100;
const GAP_MS = 60;
const PACKET_MS = 20;

const BIND_ATTEMPTS = 30;

export class RtpRelay extends EventEmitter<RtpRelayEvents> {
  /** Relays open in this process (for /metrics: a leak shows here). */
  static openCount = 0;
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket;
  readonly #inner: dgram.Socket;
  readonly #announced: string;
  #mediasoup: Endpoint | undefined;
  /** Where the phone's RTP and RTCP go: its SDP first, then where it sends from. */
  #phoneRtp: Endpoint | undefined;
  #phoneRtcp: Endpoint | undefined;
  #latched = false;
  /** Payload types rewritten on the way to the phone (room's -> the phone's). */
  readonly #outgoingPayloadTypes = new Map<number, number>();
  /** Sources the phone's media may come from (none until its SDP is known). */
  #allowed: ReadonlySet<string> = new Set();
  /** Written into every RTP packet from the phone; fixed once set. */
  #ssrc: number | undefined;
  #closed = false;
  /** What the phone hears from us: mediasoup's stream, our tones and prompts, as one. */
  readonly #out = new PhoneStream();
  /** A tone is being sent: mediasoup's audio is held back. */
  #toneActive = false;
  #tones: Promise<void> = Promise.resolve();
  /** Nothing passes between the phone and the room (see `screen`). */
  #screening = false;
  /** Told of every RTP packet the phone sends (before any rewriting). */
  #phoneRtpListener: ((packet: Buffer) => void) | undefined;

  private constructor(sockets: [dgram.Socket, dgram.Socket, dgram.Socket], announced: string) {
    super();
    [this.#rtp, this.#rtcp, this.#inner] = sockets;
    this.#announced = announced;
    RtpRelay.openCount += 1;
    this.#rtp.on('message', (packet, from) => this.#fromPhone(packet, from, false));
    this.#rtcp.on('message', (packet, from) => this.#fromPhone(packet, from, true));
    this.#inner.on('message', (packet, from) => this.#fromMediasoup(packet, from));
    // A send error (ICMP unreachable) must not kill the process.
    for (const socket of sockets) socket.on('error', () => undefined);
  }

  /** Binds an even/odd port pair in the range for the phone, and an inner socket. */
  static async open(addresses: RelayAddresses): Promise<RtpRelay> {
    const ip = addresses.listenIp;
    const innerIp = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
    const [rtp, rtcp] = await bindPair(ip, addresses.portRange);
    const inner = await bind(innerIp, 0);
    return new RtpRelay([rtp, rtcp, inner], addresses.announcedAddress ?? ip);
  }

  /** The phone-side address and ports, for our SDP. */
  get local(): { address: string; port: number; rtcpPort: number } {
    return {
      address: this.#announced,
      port: this.#rtp.address().port,
      rtcpPort: this.#rtcp.address().port,
    };
  }

  /** Where the PlainTransport must send (connect it there). */
  get inner(): { ip: string; port: number } {
    const { address, port } = this.#inner.address();
    return { ip: address, port };
  }

  /** The SSRC every RTP packet from the phone reaches mediasoup with, once known. */
  get ssrc(): number | undefined {
    return this.#ssrc;
  }

  /**
   * Presents the phone's stream as `ssrc` (an SDP's a=ssrc) unless an SSRC is
   * presented already; returns the one presented. It never changes after: the
   * producer is made with it, and a new producer for the same stream (another
   * codec at answer) reuses it, so what mediasoup expects and what the relay
   * writes cannot disagree, whatever later SDPs announce or streams carry.
   */
  presentSsrc(ssrc: number): number {
    if (this.#ssrc === undefined) {
      this.#ssrc = ssrc;
      this.emit('ssrc', ssrc);
    }
    return this.#ssrc;
  }

  /** The PlainTransport's own address (its tuple). */
  setMediasoup(endpoint: Endpoint): void {
    this.#mediasoup = endpoint;
  }

  /**
   * Where the phone's SDP says to send, and the addresses its media may come
   * from: the SDP's and the SIP peer's (a phone behind NAT sends from the
   * latter). Packets from anywhere else are dropped, so a stranger sweeping
   * our ports cannot take the stream over. A new SDP (the 200 after early
   * media, a re-INVITE) lets the relay latch again.
   */
  setPhone(rtp: Endpoint, rtcp: Endpoint, peerAddresses: readonly string[]): void {
    this.#phoneRtp = rtp;
    this.#phoneRtcp = rtcp;
    this.#allowed = new Set([rtp.address, rtcp.address, ...peerAddresses]);
    this.#latched = false;
  }

  /** Sends the room's payload type `from` as `to`; the same number ends an earlier mapping. */
  mapOutgoingPayloadType(from: number, to: number): void {
    // A later answer (the 200 after early media's) may take the room's own
    // number back: a mapping left from the earlier one would still rewrite it.
    if (from === to) this.#outgoingPayloadTypes.delete(from);
    else this.#outgoingPayloadTypes.set(from, to);
  }

  /**
   * Screening (a forwarded phone answered but has not taken the call yet): the
   * phone's RTP is not forwarded to the room and the room's is held back from
   * the phone; our own audio (`sendAudio`) and tones still go out.
   */
  screen(on: boolean): void {
    this.#screening = on;
  }

  /** Listens to every RTP packet from the phone (its keypad events); undefined stops. */
  listenToPhone(listener: ((packet: Buffer) => void) | undefined): void {
    this.#phoneRtpListener = listener;
  }

  /**
   * Sends one packet of our own audio to the phone inside its stream:
   * `samples` long at `clockRate`; `first` starts a talkspurt (marker bit, a
   * timestamp "now"), the next ones follow it. False when the phone's
   * address is not known yet.
   */
  sendAudio(
    payloadType: number,
    clockRate: number,
    payload: Buffer,
    samples: number,
    first: boolean,
  ): boolean {
    if (!this.#phoneRtp || this.#closed) return false;
    this.#out.clockRate = clockRate;
    this.#send(this.#rtp, this.#out.audio(payloadType, payload, samples, first), this.#phoneRtp);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    RtpRelay.openCount -= 1;
    for (const socket of [this.#rtp, this.#rtcp, this.#inner]) socket.close();
  }

  #fromPhone(packet: Buffer, from: dgram.RemoteInfo, rtcp: boolean): void {
    if (packet.length < 12 || packet[0] === undefined || packet[0] >> 6 !== 2) return;
    if (!this.#allowed.has(from.address)) return;
    const source = { address: from.address, port: from.port };
    const type = packet[1] ?? 0;
    const isRtcp = type >= 192 && type <= 223;
    if (rtcp) {
      if (!isRtcp) return; // the RTCP port carries RTCP only
      this.#phoneRtcp = source;
    } else {
      if (isRtcp) return;
      if (!this.#latched) {
        this.#latched = true;
        this.#phoneRtp = source;
      } else if (!sameEndpoint(source, this.#phoneRtp)) {
        return; // not the stream we latched onto
      }
      try {
        this.#phoneRtpListener?.(packet);
      } catch {
        // A listener's fault must not stop the media.
      }
      // The producer knows one SSRC; carriers switch streams at answer (ringback
      // from a media server, then the phone): present them all as that one.
      const ssrc = this.#ssrc ?? this.presentSsrc(packet.readUInt32BE(8));
      if (this.#screening) return;
      packet.writeUInt32BE(ssrc, 8);
    }
    if (this.#mediasoup) this.#send(this.#inner, packet, this.#mediasoup);
  }

  #fromMediasoup(packet: Buffer, from: dgram.RemoteInfo): void {
    if (!this.#mediasoup || !sameEndpoint(from, this.#mediasoup)) return;
    // RTCP packet types are 192-223 in the second byte (RFC 5761 section 4).
    const type = packet[1] ?? 0;
    if (type >= 192 && type <= 223) {
      if (this.#phoneRtcp) this.#send(this.#rtcp, packet, this.#phoneRtcp);
      return;
    }
    if (packet.length < 12) return;
    if (this.#toneActive || this.#screening) {
      this.#out.heldBack();
      return;
    }
    this.#out.fromMediasoup(packet);
    const mapped = this.#outgoingPayloadTypes.get(type & 0x7f);
    if (mapped !== undefined) packet[1] = (type & 0x80) | mapped;
    if (this.#phoneRtp) this.#send(this.#rtp, packet, this.#phoneRtp);
  }

  /**
   * Sends keypad tones (0-9, *, #, A-D) as RFC 4733 events with the payload
   * type and clock the phone's SDP gave; queued after any tones still going.
   * False when no stream flows to the phone yet (nothing to put them in).
   */
  sendTones(digits: string, payloadType: number, clockRate: number): boolean {
    if (!this.#out.started || this.#closed) return false;
    for (const digit of digits.toUpperCase()) {
      const event = DTMF_EVENTS.indexOf(digit);
      if (event === -1) continue;
      this.#tones = this.#tones.then(() => this.#sendTone(event, payloadType, clockRate));
    }
    return true;
  }

  async #sendTone(event: number, payloadType: number, clockRate: number): Promise<void> {
    if (!this.#phoneRtp || this.#closed) return;
    this.#toneActive = true;
    this.#out.clockRate = clockRate;
    // The event starts "now" on the stream's clock.
    const timestamp = this.#out.eventTimestamp();
    const step = (clockRate * PACKET_MS) / 1000;
    const packets = TONE_MS / PACKET_MS;
    for (let i = 1; i <= packets + 2; i++) {
      const end = i >= packets; // the last one goes three times, 20 ms apart (section 2.5.1.4)
      const duration = Math.min(i, packets) * step;
      this.#inject(payloadType, timestamp, i === 1, event, end, duration);
      await sleep(PACKET_MS);
    }
    this.#toneActive = false;
    await sleep(GAP_MS);
  }

  #inject(
    payloadType: number,
    timestamp: number,
    marker: boolean,
    event: number,
    end: boolean,
    duration: number,
  ): void {
    const payload = Buffer.alloc(4);
    payload[0] = event;
    payload[1] = (end ? 0x80 : 0) | 10; // volume: -10 dBm0
    payload.writeUInt16BE(duration, 2);
    const packet = this.#out.event(payloadType, marker, timestamp, payload);
    if (this.#phoneRtp) this.#send(this.#rtp, packet, this.#phoneRtp);
  }

  #send(socket: dgram.Socket, packet: Buffer, to: Endpoint): void {
    if (this.#closed) return;
    try {
      socket.send(packet, to.port, to.address);
    } catch {
      // A bad address from SDP (the parser checks ports; this is the last
      // guard): dropping the packet beats taking the process down.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameEndpoint(a: Endpoint, b: Endpoint | undefined): boolean {
  return b !== undefined && a.address === b.address && a.port === b.port;
}

function bind(ip: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, ip, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** RTP on an even port and RTCP on the next one (RFC 3550 section 11). */
async function bindPair(
  ip: string,
  range: { min: number; max: number } | undefined,
): Promise<[dgram.Socket, dgram.Socket]> {
  const min = range?.min ?? 40000;
  const max = range?.max ?? 49999;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const even = min + 2 * Math.floor(Math.random() * Math.floor((max - min) / 2));
    const rtp = await bind(ip, even).catch(() => undefined);
    if (!rtp) continue;
    const rtcp = await bind(ip, even + 1).catch(() => undefined);
    if (rtcp) return [rtp, rtcp];
    rtp.close();
  }
  throw new Error(`no free RTP port pair in ${String(min)}-${String(max)} on ${ip}`);
}

// A small UDP relay between a phone (or a carrier's media server) and the
// room's PlainTransport. mediasoup routes incoming RTP by SSRC, and SIP
// equipment rarely announces its SSRC in SDP: the relay learns it from the
// first packet. It also latches onto where the phone really sends from
// (symmetric RTP, RFC 4961), which is right behind NAT where the SDP is not.
//
//   phone ── RTP ──> rtp socket ─┐                 ┌─> PlainTransport (RTP+RTCP muxed)
//   phone ── RTCP ─> rtcp socket ─┴─> inner socket ─┘
//   phone <── RTP / RTCP (by packet type) ── inner socket <── PlainTransport
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';

export interface RtpRelayEvents {
  /** The phone's SSRC, from its first RTP packet. */
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

const BIND_ATTEMPTS = 30;

export class RtpRelay extends EventEmitter<RtpRelayEvents> {
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket;
  readonly #inner: dgram.Socket;
  readonly #announced: string;
  #mediasoup: Endpoint | undefined;
  /** Where the phone's RTP and RTCP go: its SDP first, then where it sends from. */
  #phoneRtp: Endpoint | undefined;
  #phoneRtcp: Endpoint | undefined;
  #latched = false;
  #ssrc: number | undefined;
  #closed = false;

  private constructor(sockets: [dgram.Socket, dgram.Socket, dgram.Socket], announced: string) {
    super();
    [this.#rtp, this.#rtcp, this.#inner] = sockets;
    this.#announced = announced;
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

  get ssrc(): number | undefined {
    return this.#ssrc;
  }

  /** The PlainTransport's own address (its tuple). */
  setMediasoup(endpoint: Endpoint): void {
    this.#mediasoup = endpoint;
  }

  /** Where the phone's SDP says to send, until its own packets say otherwise. */
  setPhone(rtp: Endpoint, rtcp: Endpoint): void {
    if (this.#latched) return;
    this.#phoneRtp = rtp;
    this.#phoneRtcp = rtcp;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of [this.#rtp, this.#rtcp, this.#inner]) socket.close();
  }

  #fromPhone(packet: Buffer, from: dgram.RemoteInfo, rtcp: boolean): void {
    if (packet.length < 8 || packet[0] === undefined || packet[0] >> 6 !== 2) return;
    const source = { address: from.address, port: from.port };
    if (rtcp) this.#phoneRtcp = source;
    else {
      if (packet.length < 12) return;
      if (!this.#latched) {
        this.#latched = true;
        this.#phoneRtp = source;
      } else if (!sameEndpoint(source, this.#phoneRtp)) {
        return; // not the stream we latched onto: never let a stranger take over
      }
      if (this.#ssrc === undefined) {
        this.#ssrc = packet.readUInt32BE(8);
        this.emit('ssrc', this.#ssrc);
      }
    }
    if (this.#mediasoup) this.#send(this.#inner, packet, this.#mediasoup);
  }

  #fromMediasoup(packet: Buffer, from: dgram.RemoteInfo): void {
    if (!this.#mediasoup || !sameEndpoint(from, this.#mediasoup)) return;
    // RTCP packet types are 192-223 in the second byte (RFC 5761 section 4).
    const type = packet[1] ?? 0;
    const isRtcp = type >= 192 && type <= 223;
    const target = isRtcp ? this.#phoneRtcp : this.#phoneRtp;
    if (target) this.#send(isRtcp ? this.#rtcp : this.#rtp, packet, target);
  }

  #send(socket: dgram.Socket, packet: Buffer, to: Endpoint): void {
    if (!this.#closed) socket.send(packet, to.port, to.address);
  }
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

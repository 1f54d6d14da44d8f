// SDP for the phone leg (RFC 3264 offer/answer), written and read with
// sdp-transform: one audio stream over plain RTP, the codecs a trunk prefers
// plus telephone-event (RFC 4733) for DTMF.
import { isIP } from 'node:net';
import * as sdpTransform from 'sdp-transform';

/** A codec as both SDP and mediasoup name it (mimeType `audio/<name>`). */
export interface SdpCodec {
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  /** fmtp line, e.g. "useinbandfec=1" or "0-16" for telephone-event. */
  fmtp?: string;
}

export interface SdpOffer {
  /** Stable per dialog; the version goes up with each new offer (re-INVITE). */
  sessionId: string;
  version: number;
  address: string;
  port: number;
  rtcpPort: number;
  codecs: SdpCodec[];
  direction: MediaDirection;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What an answer settled: where to send, and the one codec both sides use. */
export interface NegotiatedMedia {
  address: string;
  port: number;
  rtcpPort: number;
  codec: SdpCodec;
  telephoneEvent: SdpCodec | undefined;
  direction: MediaDirection;
  /** The far end's RTP stream (a=ssrc), when it announces one. */
  ssrc: number | undefined;
}

/**
 * The direction to answer an offer with (RFC 3264 section 6.1): a phone that
 * puts us on hold offers sendonly (or inactive) and gets recvonly (inactive).
 */
export function answerDirection(offered: MediaDirection): MediaDirection {
  if (offered === 'sendonly') return 'recvonly';
  if (offered === 'recvonly') return 'sendonly';
  return offered;
}

/** The direction of an SDP's first audio stream (sendrecv when unsaid). */
export function readDirection(sdp: string): MediaDirection {
  const session = sdpTransform.parse(sdp);
  const audio = session.media.find((m) => m.type === 'audio');
  return audio?.direction ?? session.direction ?? 'sendrecv';
}

/** An SDP that cannot be used: the message says why. */
export class SdpError extends Error {}

export function buildOffer(offer: SdpOffer): string {
  const ip = { version: 4, ip: offer.address };
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: 'voxreply',
      sessionId: offer.sessionId,
      sessionVersion: offer.version,
      netType: 'IN',
      ipVer: 4,
      address: offer.address,
    },
    name: 'Voxreply',
    connection: ip,
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: offer.port,
        protocol: 'RTP/AVP',
        payloads: offer.codecs.map((c) => c.payloadType).join(' '),
        rtp: offer.codecs.map((c) => ({
          payload: c.payloadType,
          codec: c.name,
          rate: c.clockRate,
          ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}),
        })),
        fmtp: offer.codecs.flatMap((c) =>
          c.fmtp ? [{ payload: c.payloadType, config: c.fmtp }] : [],
        ),
        rtcp: { port: offer.rtcpPort, netType: 'IN', ipVer: 4, address: offer.address },
        ptime: 20,
        direction: offer.direction,
      },
    ],
  };
  return sdpTransform.write(session);
}

/**
 * Reads an answer to `offered`: the first audio stream's address and its first
 * codec that we offered (RFC 3264: the answerer lists what it will use).
 */
export function parseAnswer(sdp: string, offered: readonly SdpCodec[]): NegotiatedMedia {
  const session = sdpTransform.parse(sdp);
  const audio = session.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) throw new SdpError('the answer has no audio stream');
  const address = audio.connection?.ip ?? session.connection?.ip;
  if (!address) throw new SdpError('the answer has no connection address');
  if (!unicastIPv4(address)) throw new SdpError(`the connection address ${address} is not usable`);
  const codecs = payloadTypes(audio)
    .map((pt) => answeredCodec(audio, pt))
    .filter((c) => c !== undefined);
  const codec = codecs.find((c) => !isTelephoneEvent(c) && offeredCodec(offered, c));
  if (!codec) throw new SdpError('the answer has none of the offered codecs');
  const event = codecs.find((c) => isTelephoneEvent(c) && c.clockRate === codec.clockRate);
  const rtcpPort = audio.rtcp?.port ?? audio.port + 1;
  if (!validPort(audio.port) || !validPort(rtcpPort)) {
    throw new SdpError(`the audio port ${String(audio.port)}/${String(rtcpPort)} is not usable`);
  }
  return {
    address,
    port: audio.port,
    rtcpPort,
    codec: { ...codec, name: offeredCodec(offered, codec)?.name ?? codec.name },
    telephoneEvent: event,
    direction: audio.direction ?? session.direction ?? 'sendrecv',
    ssrc: audio.ssrcs?.[0]?.id,
  };
}

/**
 * Reads an offer from a phone: its first codec (in its order) that we carry.
 * A dynamic payload type must be the one we use for that codec too, since
 * mediasoup sends with its own payload types.
 */
export function parseOffer(sdp: string, supported: readonly SdpCodec[]): NegotiatedMedia {
  const usable = (codec: SdpCodec): boolean => {
    if (isTelephoneEvent(codec)) return false;
    const ours = offeredCodec(supported, codec);
    return ours !== undefined && (codec.payloadType < 96 || ours.payloadType === codec.payloadType);
  };
  const session = sdpTransform.parse(sdp);
  const audio = session.media.find((m) => m.type === 'audio' && m.port !== 0);
  const codecs = audio ? payloadTypes(audio).map((pt) => answeredCodec(audio, pt)) : [];
  const choice = codecs.find((c) => c !== undefined && usable(c));
  if (!choice) throw new SdpError('the offer has none of our codecs');
  return parseAnswer(sdp, [choice]);
}

/**
 * An address our relay can send a phone's audio to: an IPv4 address of one
 * host (the relay is IPv4; 0.0.0.0, broadcast and multicast are no phone).
 */
function unicastIPv4(address: string): boolean {
  if (isIP(address) !== 4) return false;
  const first = Number(address.split('.')[0]);
  return address !== '0.0.0.0' && address !== '255.255.255.255' && (first < 224 || first > 239);
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function isTelephoneEvent(codec: SdpCodec): boolean {
  return codec.name.toLowerCase() === 'telephone-event';
}

type MediaSection = sdpTransform.SessionDescription['media'][number];

/** The m-line's payload types, in order (sdp-transform gives a number for a single one). */
function payloadTypes(audio: MediaSection): number[] {
  const raw: unknown = audio.payloads;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** The codec an answer means by `pt`: its rtpmap, or the static RFC 3551 type. */
function answeredCodec(audio: MediaSection, pt: number): SdpCodec | undefined {
  const rtp = audio.rtp.find((r) => r.payload === pt);
  const fmtp = audio.fmtp.find((f) => f.payload === pt)?.config;
  if (rtp) {
    return {
      name: rtp.codec,
      payloadType: pt,
      clockRate: rtp.rate ?? 8000,
      ...(rtp.encoding ? { channels: rtp.encoding } : {}),
      ...(fmtp ? { fmtp } : {}),
    };
  }
  const fixed = STATIC_PAYLOAD_TYPES[pt];
  return fixed ? { name: fixed, payloadType: pt, clockRate: 8000 } : undefined;
}

const STATIC_PAYLOAD_TYPES: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 9: 'G722' };

function offeredCodec(offered: readonly SdpCodec[], codec: SdpCodec): SdpCodec | undefined {
  return offered.find(
    (o) =>
      o.name.toLowerCase() === codec.name.toLowerCase() &&
      o.clockRate === codec.clockRate &&
      (o.channels ?? 1) === (codec.channels ?? o.channels ?? 1),
  );
}

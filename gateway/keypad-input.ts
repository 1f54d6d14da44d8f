// Keys pressed on a phone, as they reach us: RFC 4733 telephone-events in its
// RTP stream, or SIP INFO (application/dtmf-relay, application/dtmf) from
// carriers that send keys out of band. Everything here comes from the far end
// and is read defensively: anything malformed is not a key.
//
// One key press is one RFC 4733 event: every packet of it carries the same
// RTP timestamp (section 2.5.1.2), its end packet is sent three times
// (2.5.1.4), and a long press sends updates. A key counts once, at the first
// packet of a new event (the end packets may be lost; the start ones too).

/** RFC 4733 section 3.2: events 0-15 are these keys. */
const KEYS = '0123456789*#ABCD';

/** The fixed RTP header (RFC 3550 section 5.1), without CSRCs or extensions. */
const RTP_HEADER = 12;

/**
 * The key an RTP packet carries, when it is an RFC 4733 event of
 * `payloadType`; undefined for audio, other payload types and anything
 * malformed. Reads the RTP header by hand (CSRC count, extension, padding).
 */
export function telephoneEventKey(
  packet: Buffer,
  payloadType: number,
): { key: string; timestamp: number; ssrc: number } | undefined {
  if (packet.length < RTP_HEADER + 4) return undefined;
  const first = packet[0] ?? 0;
  if (first >> 6 !== 2) return undefined;
  if (((packet[1] ?? 0) & 0x7f) !== payloadType) return undefined;
  let offset = RTP_HEADER + 4 * (first & 0x0f);
  if (first & 0x10) {
    // A header extension: 4 bytes, then its length in 32-bit words.
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  const padding = first & 0x20 ? (packet[packet.length - 1] ?? 0) : 0;
  if (packet.length - padding < offset + 4) return undefined;
  const key = KEYS[packet[offset] ?? 255];
  if (key === undefined) return undefined;
  return { key, timestamp: packet.readUInt32BE(4), ssrc: packet.readUInt32BE(8) };
}

/**
 * Counts each RFC 4733 event once across its packets (updates and the
 * retransmitted end): keyed by the stream and the event's timestamp.
 * Remembers only the last event, so memory stays constant.
 */
export class TelephoneEvents {
  readonly #payloadTypes: ReadonlySet<number>;
  #last: { ssrc: number; timestamp: number } | undefined;

  /**
   * `payloadTypes`: telephone-event's numbers in this call. The phone should
   * send with the one we offered (RFC 3264 section 5.1); some send with the
   * one they answered, so both count.
   */
  constructor(...payloadTypes: number[]) {
    this.#payloadTypes = new Set(payloadTypes);
  }

  /** The key of a new key press in `packet`; undefined for anything else. */
  read(packet: Buffer): string | undefined {
    const payloadType = (packet[1] ?? 0) & 0x7f;
    if (!this.#payloadTypes.has(payloadType)) return undefined;
    const event = telephoneEventKey(packet, payloadType);
    if (!event) return undefined;
    const last = this.#last;
    if (last && last.ssrc === event.ssrc && last.timestamp === event.timestamp) return undefined;
    this.#last = { ssrc: event.ssrc, timestamp: event.timestamp };
    return event.key;
  }
}

/** The most of an INFO body we read: a dtmf-relay body is two short lines. */
const MAX_INFO_BODY = 512;

/**
 * The key a SIP INFO carries: `application/dtmf-relay` ("Signal=1" and
 * "Duration=160" lines) or `application/dtmf` (the key alone). Undefined for
 * other content types and malformed bodies.
 */
export function infoKey(contentType: unknown, body: unknown): string | undefined {
  if (typeof contentType !== 'string' || typeof body !== 'string') return undefined;
  if (body.length > MAX_INFO_BODY) return undefined;
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  let value: string | undefined;
  if (type === 'application/dtmf-relay') {
    value = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
  } else if (type === 'application/dtmf') {
    value = body.trim();
  }
  if (value === undefined) return undefined;
  const key = value.toUpperCase();
  // Some send the event number (RFC 4733's) instead of the key: 10 is *, 11 is #.
  if (/^(1[0-5])$/.test(key)) return KEYS[Number(key)];
  return key.length === 1 && KEYS.includes(key) ? key : undefined;
}

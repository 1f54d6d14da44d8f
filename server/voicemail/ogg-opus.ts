// The length of an Ogg/Opus recording measured from the stream itself, not from
// what its headers declare. music-metadata (used before) stops at the first page
// flagged end-of-stream and takes the last page's granule position on trust, so
// a 400 s recording with one flag bit or one granule edited passed as 10 s.
// Here every page is read (RFC 3533: fixed 27-byte header, lacing table, CRC),
// packets are reassembled, and each audio packet's duration is read from its
// TOC byte (RFC 6716 section 3.1). The length is the longer of what the packets
// add up to and what the granule positions say (RFC 7845 section 4: last
// granule against the first page's start, minus pre-skip): a liar gains nothing.

export type OggOpusProblem = 'not_ogg_opus' | 'incomplete';

export class OggOpusError extends Error {
  constructor(
    readonly problem: OggOpusProblem,
    message: string,
  ) {
    super(message);
    this.name = 'OggOpusError';
  }
}

export interface OpusLength {
  /** Samples at 48 kHz after pre-skip, the larger of counted and declared. */
  samples: number;
  /** What the packets' TOC bytes add up to (minus pre-skip). */
  countedSamples: number;
  /** What the granule positions declare (last page against the start, minus pre-skip). */
  declaredSamples: number;
  preSkip: number;
  pages: number;
}

const HEADER_BYTES = 27;
const FLAG_CONTINUED = 0x01;
const FLAG_BEGIN = 0x02;
const FLAG_END = 0x04;
/** 120 ms at 48 kHz: the longest Opus packet (RFC 6716 3.2.5). */
const MAX_PACKET_SAMPLES = 5760;

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial 0, no final xor. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The CRC of an Ogg page whose checksum field (bytes 22-25) counts as zero. */
export function oggPageCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : (page[i] ?? 0);
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  }
  return crc;
}

/** Samples (48 kHz) of one Opus frame for each TOC configuration (RFC 6716 table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4] ?? 0; // SILK: 10/20/40/60 ms
  if (config < 16) return [480, 960][config % 2] ?? 0; // Hybrid: 10/20 ms
  return [120, 240, 480, 960][config % 4] ?? 0; // CELT: 2.5/5/10/20 ms
}

/** One Opus packet's duration in 48 kHz samples, or undefined if it cannot be one. */
export function opusPacketSamples(packet: Uint8Array): number | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const perFrame = frameSamples(toc >> 3);
  let frames: number;
  switch (toc & 0x03) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default: {
      const count = packet[1];
      if (count === undefined) return undefined;
      frames = count & 0x3f;
    }
  }
  const samples = frames * perFrame;
  // RFC 6716 3.2.5: at most 120 ms in a packet, and at least one frame.
  if (frames === 0 || samples > MAX_PACKET_SAMPLES) return undefined;
  return samples;
}

const notOpus = (why: string) => new OggOpusError('not_ogg_opus', why);

/**
 * Reads a whole single-stream Ogg/Opus file. Throws OggOpusError: not_ogg_opus
 * for anything that is not one well-formed stream, incomplete when it is cut off
 * (no end-of-stream page, or a packet left unfinished).
 */
export function measureOggOpus(bytes: Uint8Array): OpusLength {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let pageIndex = 0;
  let serial: number | undefined;
  let ended = false;
  let pending: Uint8Array[] = [];
  let packetIndex = 0;
  let preSkip = 0;
  let counted = 0;
  /** Samples before the first audio page's packets (RFC 7845 4: a stream may start late). */
  let start: bigint | undefined;
  let lastGranule: bigint | undefined;

  // Cut off before the Opus headers are whole, nothing says it is Opus at all.
  const cutOff = () =>
    packetIndex >= 2 ? new OggOpusError('incomplete', 'cut-off page') : notOpus('cut-off headers');
  while (offset < bytes.length) {
    if (ended) throw notOpus('data follows the end of the stream');
    if (bytes.length - offset < HEADER_BYTES) throw cutOff();
    if (view.getUint32(offset) !== 0x4f676753) throw notOpus('not an Ogg page'); // "OggS"
    if (bytes[offset + 4] !== 0) throw notOpus('unknown Ogg version');
    const flags = bytes[offset + 5] ?? 0;
    const granule = view.getBigInt64(offset + 6, true);
    const pageSerial = view.getUint32(offset + 14, true);
    const sequence = view.getUint32(offset + 18, true);
    const checksum = view.getUint32(offset + 22, true);
    const segments = bytes[offset + 26] ?? 0;
    const lacingEnd = offset + HEADER_BYTES + segments;
    if (lacingEnd > bytes.length) throw cutOff();
    let bodyLength = 0;
    for (let i = offset + HEADER_BYTES; i < lacingEnd; i++) bodyLength += bytes[i] ?? 0;
    const pageEnd = lacingEnd + bodyLength;
    if (pageEnd > bytes.length) throw cutOff();
    if (oggPageCrc(bytes.subarray(offset, pageEnd)) !== checksum)
      throw notOpus('a page fails its checksum');

    // One logical stream, pages in order: a chained or multiplexed file could
    // hide audio in a stream the length check never looked at.
    if (pageIndex === 0) {
      if (!(flags & FLAG_BEGIN)) throw notOpus('the first page does not begin a stream');
      serial = pageSerial;
    } else if (pageSerial !== serial || flags & FLAG_BEGIN) {
      throw notOpus('more than one stream');
    }
    if (sequence !== pageIndex) throw notOpus('pages are missing or out of order');
    if (Boolean(flags & FLAG_CONTINUED) !== pending.length > 0)
      throw notOpus('a page does not continue the packet before it');

    let finishedHere = 0;
    let samplesHere = 0;
    let body = lacingEnd;
    for (let i = offset + HEADER_BYTES; i < lacingEnd; i++) {
      const lace = bytes[i] ?? 0;
      pending.push(bytes.subarray(body, body + lace));
      body += lace;
      if (lace === 255) continue; // the packet goes on in the next segment
      const packet = pending.length === 1 ? (pending[0] ?? new Uint8Array()) : concat(pending);
      pending = [];
      if (packetIndex === 0) {
        preSkip = opusHead(packet);
        if (i !== lacingEnd - 1 || granule !== 0n) throw notOpus('OpusHead is not alone');
      } else if (packetIndex === 1) {
        if (!startsWith(packet, 'OpusTags')) throw notOpus('no OpusTags header');
      } else {
        const samples = opusPacketSamples(packet);
        if (samples === undefined) throw notOpus('an audio packet is malformed');
        samplesHere += samples;
        finishedHere++;
      }
      packetIndex++;
    }
    counted += samplesHere;
    if (finishedHere > 0) {
      // Granule -1 means "no packet ends here" and is only valid then.
      if (granule < 0n) throw notOpus('an audio page has no granule position');
      start ??= granule - BigInt(counted);
      if (lastGranule !== undefined && granule < lastGranule)
        throw notOpus('granule positions go backwards');
      lastGranule = granule;
    }
    if (flags & FLAG_END) ended = true;
    offset = pageEnd;
    pageIndex++;
  }
  if (packetIndex < 2) throw notOpus('no Opus headers');
  if (!ended || pending.length > 0) throw new OggOpusError('incomplete', 'no end-of-stream page');
  const countedSamples = Math.max(0, counted - preSkip);
  const declared =
    lastGranule === undefined || start === undefined ? 0n : lastGranule - start - BigInt(preSkip);
  // Clamp before converting: a forged granule may be near 2^63.
  const declaredSamples = Number(declared < 0n ? 0n : declared > 2n ** 40n ? 2n ** 40n : declared);
  // An encoder pads the last packet and trims it with the final granule (RFC 7845
  // 4.4): up to one packet's worth (120 ms) less than counted is honest; any
  // other disagreement is settled by the longer of the two.
  const trim = countedSamples - declaredSamples;
  const samples =
    trim >= 0 && trim <= MAX_PACKET_SAMPLES
      ? declaredSamples
      : Math.max(countedSamples, declaredSamples);
  return {
    samples,
    countedSamples,
    declaredSamples,
    preSkip,
    pages: pageIndex,
  };
}

/** The OpusHead packet's pre-skip (RFC 7845 5.1), after checking what matters of it. */
function opusHead(packet: Uint8Array): number {
  if (!startsWith(packet, 'OpusHead') || packet.length < 19) throw notOpus('no OpusHead header');
  if (((packet[8] ?? 0) & 0xf0) !== 0) throw notOpus('unknown Opus version');
  if ((packet[9] ?? 0) === 0) throw notOpus('no channels');
  return (packet[10] ?? 0) | ((packet[11] ?? 0) << 8);
}

function startsWith(packet: Uint8Array, magic: string): boolean {
  if (packet.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (packet[i] !== magic.charCodeAt(i)) return false;
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

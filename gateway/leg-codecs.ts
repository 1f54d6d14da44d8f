// Between SDP codecs (what carriers read) and a media leg's codecs (what the
// room sends and receives): the room's payload types are the ones we offer,
// since mediasoup sends with its own.
import type { LegCodec, PlainRtpLeg } from '../media/plain-rtp-leg.js';
import type { SdpCodec } from './sdp.js';

/** Our payload types for telephone-event (RFC 4733) at each codec clock. */
const TELEPHONE_EVENT_TYPES: Record<number, number> = { 8000: 101, 48000: 110 };

/** The telephone-event payload type we offer at `clockRate`, if we offer one. */
export function offeredTelephoneEventType(clockRate: number): number | undefined {
  return TELEPHONE_EVENT_TYPES[clockRate];
}

/**
 * A trunk's codecs in its order, as the room carries them (with its payload
 * types), then telephone-event at each of their clocks for keypad tones.
 */
export function roomSdpCodecs(leg: PlainRtpLeg, names: readonly string[]): SdpCodec[] {
  const codecs = roomCodecs(leg, names);
  const clocks = [...new Set(codecs.map((c) => c.clockRate))];
  return [
    ...codecs,
    ...clocks.flatMap((clockRate) => {
      const payloadType = TELEPHONE_EVENT_TYPES[clockRate];
      return payloadType === undefined
        ? []
        : [{ name: 'telephone-event', payloadType, clockRate, fmtp: '0-16' }];
    }),
  ];
}

function roomCodecs(leg: PlainRtpLeg, names: readonly string[]): SdpCodec[] {
  return names.flatMap((name) => {
    const clockRate = name === 'opus' ? 48000 : 8000;
    const codec = leg.roomCodec(`audio/${name}`, clockRate);
    if (codec?.preferredPayloadType === undefined) return [];
    return [
      {
        name,
        payloadType: codec.preferredPayloadType,
        clockRate,
        ...(name === 'opus' ? { channels: 2, fmtp: 'useinbandfec=1' } : {}),
      },
    ];
  });
}

export function toLegCodec(codec: SdpCodec): LegCodec {
  return {
    mimeType: `audio/${codec.name}`,
    clockRate: codec.clockRate,
    channels: codec.channels,
    payloadType: codec.payloadType,
    parameters: codec.name.toLowerCase() === 'opus' ? { useinbandfec: 1 } : undefined,
  };
}

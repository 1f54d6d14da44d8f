// The codecs every call router offers (docs/design.md, "Media"): Opus for voice with
// in-band FEC and DTX, VP8 and H264 for video. G722, PCMU and PCMA are there
// for phone legs ("Forwarding to a phone"): browsers send them natively, so a call to a phone
// needs no transcoding. Opus stays first, so browsers pick it by default.
import type { types } from 'mediasoup';

export const routerMediaCodecs: types.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  { kind: 'audio', mimeType: 'audio/G722', clockRate: 8000 },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
  },
];

// SDP offer/answer for phone legs: what a carrier reads from our offer, and
// what we take from its answer.
import { describe, expect, it } from 'vitest';
import { buildOffer, parseAnswer, parseOffer, SdpError, type SdpCodec } from '../../gateway/sdp.js';

const offered: SdpCodec[] = [
  { name: 'opus', payloadType: 100, clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
  { name: 'G722', payloadType: 9, clockRate: 8000 },
  { name: 'PCMU', payloadType: 0, clockRate: 8000 },
  { name: 'telephone-event', payloadType: 101, clockRate: 8000, fmtp: '0-16' },
];

describe('SDP for phone legs', () => {
  it('offers the codecs in order on one audio stream with its RTCP port', () => {
    const sdp = buildOffer({
      sessionId: '42',
      version: 1,
      address: '203.0.113.7',
      port: 40002,
      rtcpPort: 40003,
      codecs: offered,
      direction: 'sendrecv',
    });
    expect(sdp).toContain('c=IN IP4 203.0.113.7');
    expect(sdp).toContain('m=audio 40002 RTP/AVP 100 9 0 101');
    expect(sdp).toContain('a=rtpmap:100 opus/48000/2');
    expect(sdp).toContain('a=fmtp:101 0-16');
    expect(sdp).toContain('a=rtcp:40003 IN IP4 203.0.113.7');
    expect(sdp).toContain('a=sendrecv');
  });

  it('takes the first offered codec from an answer, static payload types included', () => {
    const answer = [
      'v=0',
      'o=carrier 1 1 IN IP4 198.51.100.1',
      's=-',
      'c=IN IP4 198.51.100.2',
      't=0 0',
      'm=audio 30000 RTP/AVP 0 101',
      'a=ssrc:1674437871 cname:phone',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      '',
    ].join('\r\n');
    const media = parseAnswer(answer, offered);
    expect(media).toMatchObject({
      address: '198.51.100.2',
      port: 30000,
      rtcpPort: 30001,
      codec: { name: 'PCMU', payloadType: 0, clockRate: 8000 },
      telephoneEvent: { payloadType: 101 },
      direction: 'sendrecv',
      ssrc: 1674437871,
    });
  });

  it('reads an answer with a single payload type (as baresip sends)', () => {
    const answer = ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0'];
    const sdp = [...answer, 'm=audio 2304 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    expect(parseAnswer(sdp, offered).codec).toMatchObject({ name: 'PCMU', payloadType: 0 });
  });

  it('answers an offer with its first codec we carry, never a dynamic type we number differently', () => {
    const base = ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0'];
    const offer = [
      ...base,
      'm=audio 4000 RTP/AVP 111 18 8 0',
      'a=rtpmap:111 opus/48000/2',
      'a=rtpmap:18 G729/8000',
      '',
    ].join('\r\n');
    const ours: SdpCodec[] = [
      { name: 'opus', payloadType: 100, clockRate: 48000, channels: 2 },
      { name: 'PCMU', payloadType: 0, clockRate: 8000 },
      { name: 'PCMA', payloadType: 8, clockRate: 8000 },
    ];
    expect(parseOffer(offer, ours).codec).toMatchObject({ name: 'PCMA', payloadType: 8 });
    expect(() => parseOffer([...base, 'm=audio 4000 RTP/AVP 18', ''].join('\r\n'), ours)).toThrow(
      SdpError,
    );
  });

  it('refuses an answer with no codec we offered, or no audio', () => {
    const base = ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0'];
    const g729 = [...base, 'm=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000', ''].join('\r\n');
    expect(() => parseAnswer(g729, offered)).toThrow(SdpError);
    const video = [...base, 'm=video 4000 RTP/AVP 96', ''].join('\r\n');
    expect(() => parseAnswer(video, offered)).toThrow('no audio stream');
  });

  it('refuses an answer whose connection address is no single IPv4 host', () => {
    const answer = (address: string): string =>
      ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', `c=IN IP4 ${address}`, 't=0 0']
        .concat(['m=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''])
        .join('\r\n');
    for (const address of ['0.0.0.0', '255.255.255.255', '239.1.2.3', '999.999.1.1', 'pbx.example'])
      expect(() => parseAnswer(answer(address), offered), address).toThrow('not usable');
    expect(parseAnswer(answer('203.0.113.9'), offered).address).toBe('203.0.113.9');
  });
});

// Keys from a phone: RFC 4733 events read from sipp's own capture of key 1
// (/usr/share/sip-tester/dtmf_2833_1.pcap, as a carrier sends it), and SIP
// INFO bodies; malformed input is no key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { infoKey, TelephoneEvents, telephoneEventKey } from '../../gateway/keypad-input.js';

/** The RTP packets of a pcap file (Ethernet, IPv4, UDP). */
function pcapRtp(file: string): Buffer[] {
  const data = readFileSync(file);
  const packets: Buffer[] = [];
  for (let offset = 24; offset + 16 <= data.length;) {
    const length = data.readUInt32LE(offset + 8);
    const frame = data.subarray(offset + 16, offset + 16 + length);
    const ipHeader = ((frame[14] ?? 0) & 0x0f) * 4;
    packets.push(Buffer.from(frame.subarray(14 + ipHeader + 8)));
    offset += 16 + length;
  }
  return packets;
}

describe('keys pressed on a phone', () => {
  it('counts key 1 once across its updates and its end sent three times (RFC 4733)', () => {
    const packets = pcapRtp('/usr/share/sip-tester/dtmf_2833_1.pcap');
    expect(packets.length).toBeGreaterThanOrEqual(4);
    const events = new TelephoneEvents(101);
    const keys = packets.map((p) => events.read(p)).filter((k) => k !== undefined);
    expect(keys).toEqual(['1']);
    // Another payload type is audio, not keys.
    expect(packets.map((p) => new TelephoneEvents(96).read(p)).filter(Boolean)).toEqual([]);
  });

  it('reads keys sent with the type we offered when the phone answered another', () => {
    // The carrier answered 96 for telephone-event; the phone sends with our 101.
    const packets = pcapRtp('/usr/share/sip-tester/dtmf_2833_1.pcap');
    const events = new TelephoneEvents(96, 101);
    expect(packets.map((p) => events.read(p)).filter((k) => k !== undefined)).toEqual(['1']);
  });

  it('counts a second press of the same key (a new event timestamp)', () => {
    const first = pcapRtp('/usr/share/sip-tester/dtmf_2833_1.pcap')[0] ?? Buffer.alloc(0);
    const again = Buffer.from(first);
    again.writeUInt32BE(first.readUInt32BE(4) + 1600, 4);
    const events = new TelephoneEvents(101);
    expect([events.read(first), events.read(first), events.read(again)]).toEqual([
      '1',
      undefined,
      '1',
    ]);
  });

  it('reads past CSRCs and a header extension, and refuses what is cut short or not RTP', () => {
    const event = Buffer.from([0x01, 0x8a, 0x03, 0x20]); // key 1, end, duration 800
    const header = Buffer.alloc(12);
    header[0] = 0x80 | 0x10 | 0x01; // version 2, an extension, one CSRC
    header[1] = 101;
    const csrc = Buffer.alloc(4);
    const extension = Buffer.from([0xbe, 0xde, 0x00, 0x01, 0, 0, 0, 0]);
    const packet = Buffer.concat([header, csrc, extension, event]);
    expect(telephoneEventKey(packet, 101)?.key).toBe('1');
    expect(telephoneEventKey(packet.subarray(0, packet.length - 2), 101)).toBeUndefined();
    const version1 = Buffer.from(packet);
    version1[0] = 0x40;
    expect(telephoneEventKey(version1, 101)).toBeUndefined();
    const unknownEvent = Buffer.from(packet);
    unknownEvent[packet.length - 4] = 16; // flash, not a key
    expect(telephoneEventKey(unknownEvent, 101)).toBeUndefined();
    expect(telephoneEventKey(Buffer.alloc(3), 101)).toBeUndefined();
  });

  it('reads SIP INFO keys (dtmf-relay and dtmf), and nothing else', () => {
    expect(infoKey('application/dtmf-relay', 'Signal=1\r\nDuration=160\r\n')).toBe('1');
    expect(infoKey('Application/DTMF-Relay; charset=x', 'signal = 5\nDuration=100')).toBe('5');
    expect(infoKey('application/dtmf-relay', 'Signal=11\r\n')).toBe('#');
    expect(infoKey('application/dtmf', '1')).toBe('1');
    expect(infoKey('application/dtmf-relay', 'Signal=12345\r\n')).toBeUndefined();
    expect(infoKey('application/dtmf-relay', 'Duration=160')).toBeUndefined();
    expect(infoKey('application/sdp', 'Signal=1')).toBeUndefined();
    expect(infoKey(undefined, 'Signal=1')).toBeUndefined();
    expect(infoKey('application/dtmf-relay', `Signal=1\r\n${'x'.repeat(1000)}`)).toBeUndefined();
  });
});

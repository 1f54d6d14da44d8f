// The RTP relay in front of phone legs, with real UDP sockets on loopback: one
// plays the phone, one plays mediasoup's PlainTransport, one a stranger.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpRelay } from '../../media/rtp-relay.js';

interface Peer {
  socket: dgram.Socket;
  port: number;
  received: Buffer[];
}

const open: { close: () => void }[] = [];

afterEach(() => {
  for (const thing of open.splice(0)) thing.close();
});

async function peer(ip = '127.0.0.1'): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, ip, resolve));
  const received: Buffer[] = [];
  socket.on('message', (packet) => received.push(packet));
  open.push(socket);
  return { socket, port: socket.address().port, received };
}

function rtp(ssrc: number, seq: number, payloadType = 0, timestamp = seq * 160): Buffer {
  const packet = Buffer.alloc(12 + 160);
  packet[0] = 0x80;
  packet[1] = payloadType;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE(timestamp >>> 0, 4);
  packet.writeUInt32BE(ssrc, 8);
  return packet;
}

function send(from: Peer, packet: Buffer, port: number): void {
  from.socket.send(packet, port, '127.0.0.1');
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

async function setUp() {
  const relay = await RtpRelay.open({
    listenIp: '127.0.0.1',
    portRange: { min: 42000, max: 42999 },
  });
  open.push(relay);
  const mediasoup = await peer();
  const phone = await peer();
  relay.setMediasoup({ address: '127.0.0.1', port: mediasoup.port });
  return { relay, mediasoup, phone };
}

describe('the RTP relay of a phone leg', () => {
  it('takes the phone’s media only once its SDP is known, and only from its addresses', async () => {
    const { relay, mediasoup, phone } = await setUp();
    send(phone, rtp(1111, 1), relay.local.port);
    await settle();
    expect(mediasoup.received).toHaveLength(0); // no SDP yet: nothing is taken

    relay.setPhone(
      { address: '127.0.0.1', port: phone.port },
      { address: '127.0.0.1', port: phone.port + 1 },
      [],
    );
    const stranger = await peer('127.0.0.9');
    send(stranger, rtp(6666, 1), relay.local.port);
    send(phone, rtp(1111, 2), relay.local.port);
    await settle();
    expect(relay.ssrc).toBe(1111);
    expect(mediasoup.received.map((p) => p.readUInt32BE(8))).toEqual([1111]);
    // A second stream from the phone (ringback, then the callee) keeps the SSRC the producer knows.
    send(phone, rtp(2222, 900), relay.local.port);
    await settle();
    expect(mediasoup.received.at(-1)?.readUInt32BE(8)).toBe(1111);
  });

  it('sends the room’s stream to where the phone sends from, with the phone’s payload type', async () => {
    const { relay, mediasoup, phone } = await setUp();
    relay.setPhone(
      { address: '127.0.0.1', port: 9 }, // the SDP's port; the phone really uses another
      { address: '127.0.0.1', port: 10 },
      [],
    );
    relay.mapOutgoingPayloadType(100, 111);
    send(phone, rtp(1111, 1), relay.local.port);
    await settle();
    send(mediasoup, rtp(3333, 5, 100), relay.inner.port);
    await settle();
    expect(phone.received).toHaveLength(1);
    expect((phone.received[0]?.[1] ?? 0) & 0x7f).toBe(111);
  });

  it('survives a bad port from SDP', async () => {
    const { relay, mediasoup } = await setUp();
    relay.setPhone({ address: '127.0.0.1', port: 70000 }, { address: '127.0.0.1', port: 0 }, []);
    send(mediasoup, rtp(3333, 5), relay.inner.port);
    await settle();
    expect(relay.inner.port).toBeGreaterThan(0); // still here
  });

  it('puts keypad tones into the stream as RFC 4733 events with unbroken sequence numbers', async () => {
    const { relay, mediasoup, phone } = await setUp();
    relay.setPhone(
      { address: '127.0.0.1', port: phone.port },
      { address: '127.0.0.1', port: phone.port },
      [],
    );
    send(mediasoup, rtp(3333, 100), relay.inner.port);
    await settle();
    expect(relay.sendTones('5', 101, 8000)).toBe(true);
    // Audio keeps coming from mediasoup meanwhile (held back while the tone plays).
    for (let seq = 101; seq < 112; seq++) {
      send(mediasoup, rtp(3333, seq), relay.inner.port);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    send(mediasoup, rtp(3333, 112), relay.inner.port);
    await settle();

    const sent = phone.received;
    const events = sent.filter((p) => ((p[1] ?? 0) & 0x7f) === 101);
    expect(events.length).toBeGreaterThanOrEqual(6);
    expect(events.every((p) => p.readUInt32BE(8) === 3333 && p[12] === 5)).toBe(true);
    expect((events[0]?.[1] ?? 0) & 0x80).toBe(0x80); // marker on the first
    const ends = events.filter((p) => ((p[13] ?? 0) & 0x80) !== 0);
    expect(ends).toHaveLength(3); // the end of the event, three times
    expect(new Set(events.map((p) => p.readUInt32BE(4))).size).toBe(1); // one timestamp
    // Every packet the phone got follows the one before it.
    const seqs = sent.map((p) => p.readUInt16BE(2));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(((seqs[i - 1] ?? 0) + 1) & 0xffff);
  });

  it('screens a phone asked to press 1: nothing passes either way, its keys reach the listener', async () => {
    const { relay, mediasoup, phone } = await setUp();
    relay.setPhone(
      { address: '127.0.0.1', port: phone.port },
      { address: '127.0.0.1', port: phone.port + 1 },
      [],
    );
    const heard: Buffer[] = [];
    relay.listenToPhone((packet) => heard.push(Buffer.from(packet)));
    relay.screen(true);
    send(phone, rtp(1111, 1), relay.local.port);
    send(phone, rtp(1111, 2, 101), relay.local.port);
    send(mediasoup, rtp(3333, 50), relay.inner.port);
    await settle();
    expect(heard.map((p) => (p[1] ?? 0) & 0x7f)).toEqual([0, 101]);
    expect(mediasoup.received).toHaveLength(0); // the caller hears nothing of the phone
    expect(phone.received).toHaveLength(0); // nor the phone anything of the caller

    relay.screen(false);
    relay.listenToPhone(undefined);
    send(phone, rtp(1111, 3), relay.local.port);
    send(mediasoup, rtp(3333, 51), relay.inner.port);
    await settle();
    expect(heard).toHaveLength(2);
    expect(mediasoup.received).toHaveLength(1);
    expect(phone.received).toHaveLength(1);
  });

  it('plays our own audio in the phone’s stream, which the room’s audio then continues', async () => {
    const { relay, mediasoup, phone } = await setUp();
    relay.setPhone(
      { address: '127.0.0.1', port: phone.port },
      { address: '127.0.0.1', port: phone.port + 1 },
      [],
    );
    relay.screen(true);
    // Nothing went to the phone yet: our prompt starts the stream.
    for (let i = 0; i < 5; i++) {
      expect(relay.sendAudio(0, 8000, Buffer.alloc(160, 0x55), 160, i === 0)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    send(mediasoup, rtp(3333, 700, 0, 90_000), relay.inner.port); // held back while screened
    await settle();
    relay.screen(false);
    send(mediasoup, rtp(3333, 701, 0, 90_160), relay.inner.port);
    send(mediasoup, rtp(3333, 702, 0, 90_320), relay.inner.port);
    await settle();

    const sent = phone.received;
    expect(sent).toHaveLength(7);
    // One SSRC, ours, even for the room's packets.
    expect(new Set(sent.map((p) => p.readUInt32BE(8))).size).toBe(1);
    const seqs = sent.map((p) => p.readUInt16BE(2));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(((seqs[i - 1] ?? 0) + 1) & 0xffff);
    const stamps = sent.map((p) => p.readUInt32BE(4));
    // Our packets 160 apart; the room's go on from them (later, never back), 160 apart again.
    for (let i = 1; i < 5; i++) expect((stamps[i] ?? 0) - (stamps[i - 1] ?? 0)).toBe(160);
    expect(((stamps[5] ?? 0) - (stamps[4] ?? 0)) >>> 0).toBeGreaterThanOrEqual(160);
    expect(((stamps[5] ?? 0) - (stamps[4] ?? 0)) >>> 0).toBeLessThan(8000 * 5);
    expect(((stamps[6] ?? 0) - (stamps[5] ?? 0)) >>> 0).toBe(160);
    expect((sent[0]?.[1] ?? 0) & 0x80).toBe(0x80); // the talkspurt's marker
  });
});

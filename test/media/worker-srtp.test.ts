// Proves the installed mediasoup-worker (offline builds use the libsrtp3 shim on
// Debian's libsrtp2) protects and unprotects SRTP: RTP goes in plain on router A,
// crosses to router B over PlainTransports with SRTP, and comes out plain again
// with every payload byte-identical. A wrong key must deliver nothing.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerMediaCodecs } from '../../media/codecs.js';

const LOCALHOST = '127.0.0.1';
const PACKETS = 50;
const SSRC = 0x11223344;

let worker: types.Worker;

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'error' });
});

afterAll(() => {
  worker.close();
});

function rtpPacket(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2
  header[1] = 100; // payload type (opus, as produced below)
  header.writeUInt16BE(sequence, 2);
  header.writeUInt32BE(sequence * 960, 4);
  header.writeUInt32BE(SSRC, 8);
  return Buffer.concat([header, payload]);
}

/** RTP payload after the fixed header, CSRCs and any header extension. */
function rtpPayload(packet: Buffer): Buffer {
  const csrcCount = (packet[0] ?? 0) & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (((packet[0] ?? 0) & 0x10) !== 0) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  return packet.subarray(offset);
}

interface Relay {
  send: (packets: Buffer[]) => Promise<void>;
  received: Buffer[];
  close: () => Promise<void>;
}

/** plain RTP -> router A -> SRTP -> router B -> plain RTP to a local socket. */
async function buildRelay(suite: types.SrtpCryptoSuite, corruptKey: boolean): Promise<Relay> {
  const listenInfo = { protocol: 'udp' as const, ip: LOCALHOST };
  const routerA = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
  const routerB = await worker.createRouter({ mediaCodecs: routerMediaCodecs });

  const ingress = await routerA.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
  const producerA = await ingress.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: SSRC }],
    },
  });

  const srtpOut = await routerA.createPlainTransport({
    listenInfo,
    rtcpMux: true,
    comedia: false,
    enableSrtp: true,
    srtpCryptoSuite: suite,
  });
  const srtpIn = await routerB.createPlainTransport({
    listenInfo,
    rtcpMux: true,
    comedia: false,
    enableSrtp: true,
    srtpCryptoSuite: suite,
  });
  const outKeys = srtpOut.srtpParameters;
  const inKeys = srtpIn.srtpParameters;
  if (!outKeys || !inKeys) throw new Error('SRTP parameters missing');
  const decryptKeys = corruptKey
    ? {
        ...outKeys,
        keyBase64: randomBytes(Buffer.from(outKeys.keyBase64, 'base64').length).toString('base64'),
      }
    : outKeys;
  await srtpOut.connect({ ip: LOCALHOST, port: srtpIn.tuple.localPort, srtpParameters: inKeys });
  await srtpIn.connect({
    ip: LOCALHOST,
    port: srtpOut.tuple.localPort,
    srtpParameters: decryptKeys,
  });

  const crossing = await srtpOut.consume({
    producerId: producerA.id,
    rtpCapabilities: routerA.rtpCapabilities,
  });
  const producerB = await srtpIn.produce({ kind: 'audio', rtpParameters: crossing.rtpParameters });

  const sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, LOCALHOST, resolve));
  const received: Buffer[] = [];
  sink.on('message', (message) => {
    // Keep RTP; RTCP packet types (second byte) are 200-206.
    const secondByte = message[1] ?? 0;
    if (secondByte < 200 || secondByte > 206) received.push(message);
  });
  const egress = await routerB.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
  await egress.connect({ ip: LOCALHOST, port: sink.address().port });
  await egress.consume({ producerId: producerB.id, rtpCapabilities: routerB.rtpCapabilities });

  const source = dgram.createSocket('udp4');
  const send = async (packets: Buffer[]): Promise<void> => {
    for (const packet of packets) {
      await new Promise<void>((resolve, reject) =>
        source.send(packet, ingress.tuple.localPort, LOCALHOST, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Let the last packets cross both routers.
    await new Promise((resolve) => setTimeout(resolve, 500));
  };
  const close = async (): Promise<void> => {
    routerA.close();
    routerB.close();
    await new Promise<void>((resolve) => source.close(() => resolve()));
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  };
  return { send, received, close };
}

const suites: types.SrtpCryptoSuite[] = [
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'AEAD_AES_128_GCM',
  'AEAD_AES_256_GCM',
];

describe.each(suites)('SRTP between two routers with %s', (suite) => {
  it('delivers every packet with its payload intact', async () => {
    const relay = await buildRelay(suite, false);
    const payloads = Array.from({ length: PACKETS }, () => randomBytes(160));
    await relay.send(payloads.map((payload, i) => rtpPacket(1000 + i, payload)));
    await relay.close();

    expect(relay.received).toHaveLength(PACKETS);
    expect(relay.received.map((packet) => rtpPayload(packet).toString('hex'))).toEqual(
      payloads.map((payload) => payload.toString('hex')),
    );
  });

  it('delivers nothing when the receiver has the wrong key', async () => {
    const relay = await buildRelay(suite, true);
    await relay.send(
      Array.from({ length: PACKETS }, (_, i) => rtpPacket(1000 + i, randomBytes(160))),
    );
    await relay.close();

    expect(relay.received).toHaveLength(0);
  });
});

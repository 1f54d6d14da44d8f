// The benchmark's room in mediasoup: one worker, one router with the call
// codecs; each producer on its own plain transport (comedia), each receiver a
// plain transport consuming every producer and sending to a drain.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { routerMediaCodecs } from '../../media/codecs.js';
import type { Feed } from './rtp-feed.js';
import type { SfuRoom, SfuUnderTest } from './sfu.js';

const OPUS_PT = 100;

/** RTP packets the consumers have sent so far (the worker's own count). */
async function packetsSent(consumers: types.Consumer[]): Promise<number> {
  let total = 0;
  for (const consumer of consumers) {
    for (const stat of await consumer.getStats()) {
      if (stat.type === 'outbound-rtp') total += stat.packetCount;
    }
  }
  return total;
}

export async function startMediasoup(): Promise<SfuUnderTest> {
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  return {
    name: `mediasoup ${mediasoup.version}`,
    pid: worker.pid,
    room: async (producerCount, receiverCount, drainPort): Promise<SfuRoom> => {
      const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
      const feeds: Feed[] = [];
      const producerIds: string[] = [];
      for (let i = 0; i < producerCount; i++) {
        const transport = await router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
          rtcpMux: true,
          comedia: true,
        });
        const ssrc = 10_000 + i;
        const producer = await transport.produce({
          kind: 'audio',
          rtpParameters: {
            codecs: [
              { mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 },
            ],
            encodings: [{ ssrc }],
          },
        });
        producerIds.push(producer.id);
        feeds.push({ port: transport.tuple.localPort, ssrc, payloadType: OPUS_PT });
      }
      const consumers: types.Consumer[] = [];
      for (let r = 0; r < receiverCount; r++) {
        const transport = await router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
          rtcpMux: true,
          comedia: false,
        });
        await transport.connect({ ip: '127.0.0.1', port: drainPort });
        for (const producerId of producerIds) {
          consumers.push(
            await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities }),
          );
        }
      }
      return {
        feeds,
        streams: consumers.length,
        forwarded: () => packetsSent(consumers),
        close: () => router.close(),
      };
    },
    close: () => {
      worker.close();
      return Promise.resolve();
    },
  };
}

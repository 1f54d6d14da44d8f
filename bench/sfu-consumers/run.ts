// Audio consumers per mediasoup worker core: one worker, one router with the
// call codecs; P Opus producers fed 50 packets/s each (20 ms frames, as a
// browser sends) over plain RTP from this process; R receiving transports, each
// consuming every producer (as a browser's receive transport does), sending to
// a UDP sink here. The worker's CPU (utime+stime from /proc) is read over a
// steady window once packets flow.
//
//   npx tsx bench/sfu-consumers/run.ts [producers=20,50] [receivers=5,10] [seconds=10]
import dgram from 'node:dgram';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { routerMediaCodecs } from '../../media/codecs.js';
import { processUsage } from '../lib/proc.js';

const [producersArg = '20,50', receiversArg = '5,10', secondsArg = '10'] = process.argv.slice(2);
const OPUS_PT = 100;

function bind(socket: dgram.Socket): Promise<number> {
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)),
  );
}

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

interface Result {
  producers: number;
  receivers: number;
  consumers: number;
  workerCpuPercent: number;
  packetsPerSecondOut: number;
  consumersPerCore: number;
}

async function measure(
  worker: types.Worker,
  producerCount: number,
  receiverCount: number,
  seconds: number,
): Promise<Result> {
  const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
  const sender = dgram.createSocket('udp4');
  await bind(sender);
  // A drain for what the consumers send (counted at the worker, from consumer stats).
  const sink = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 2 ** 20 });
  const sinkPort = await bind(sink);
  sink.on('message', () => undefined);
  const consumers: types.Consumer[] = [];

  // Producers: one plain transport each, fed from `sender` (comedia learns our address).
  const feeds: { port: number; ssrc: number }[] = [];
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
        codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc }],
      },
    });
    producerIds.push(producer.id);
    feeds.push({ port: transport.tuple.localPort, ssrc });
  }
  // Receivers: one plain transport each consuming every producer, sending to the sink.
  for (let r = 0; r < receiverCount; r++) {
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    await transport.connect({ ip: '127.0.0.1', port: sinkPort });
    for (const producerId of producerIds) {
      consumers.push(
        await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities }),
      );
    }
  }

  // 50 packets/s per producer: a 20 ms Opus frame of about 80 bytes.
  const payload = Buffer.alloc(80, 0x5a);
  let sequence = 0;
  let timestamp = 0;
  const tick = setInterval(() => {
    sequence = (sequence + 1) & 0xffff;
    timestamp = (timestamp + 960) >>> 0;
    for (const feed of feeds) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = OPUS_PT;
      header.writeUInt16BE(sequence, 2);
      header.writeUInt32BE(timestamp, 4);
      header.writeUInt32BE(feed.ssrc, 8);
      sender.send(Buffer.concat([header, payload]), feed.port, '127.0.0.1');
    }
  }, 20);

  await sleep(3000); // steady state
  // A stats sweep takes a while (packets keep flowing): each count is dated at
  // the middle of its sweep.
  const count = async (): Promise<{ packets: number; at: number }> => {
    const from = process.hrtime.bigint();
    const packets = await packetsSent(consumers);
    return { packets, at: Number((from + process.hrtime.bigint()) / 2n) / 1e9 };
  };
  const cpuBefore = processUsage(worker.pid).cpu;
  const cpuFrom = process.hrtime.bigint();
  const before = await count();
  await sleep(seconds * 1000);
  const after = await count();
  const cpu =
    (processUsage(worker.pid).cpu - cpuBefore) / (Number(process.hrtime.bigint() - cpuFrom) / 1e9);
  const packetsPerSecondOut = (after.packets - before.packets) / (after.at - before.at);
  clearInterval(tick);
  sender.close();
  sink.close();
  router.close();
  return {
    producers: producerCount,
    receivers: receiverCount,
    consumers: consumers.length,
    workerCpuPercent: cpu * 100,
    packetsPerSecondOut,
    consumersPerCore: consumers.length / cpu,
  };
}

const worker = await mediasoup.createWorker({ logLevel: 'error' });
const results: Result[] = [];
for (const producers of producersArg.split(',').map(Number)) {
  for (const receivers of receiversArg.split(',').map(Number)) {
    const r = await measure(worker, producers, receivers, Number(secondsArg));
    results.push(r);
    console.error(
      `${r.consumers} consumers: worker ${r.workerCpuPercent.toFixed(1)} % of a core, ${Math.round(r.packetsPerSecondOut)} packets/s out`,
    );
  }
}
worker.close();
console.log(
  `\nMachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, mediasoup ${mediasoup.version}\n`,
);
console.log(
  '| producers | receiving transports | consumers | packets/s forwarded | worker CPU (% of a core) | consumers per core |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.producers} | ${r.receivers} | ${r.consumers} | ${Math.round(r.packetsPerSecondOut)} | ${r.workerCpuPercent.toFixed(1)} | ${Math.round(r.consumersPerCore)} |`,
  );
}

// Audio streams forwarded per SFU core: mediasoup (one worker), and the same
// load through Janus's VideoRoom (the Debian package) as the side-by-side
// anchor. P Opus producers fed 50 packets/s each over plain RTP from this
// process; R receivers each forwarded every producer (as a browser's receive
// transport consumes everyone in a call), sending to a UDP drain here. The
// SFU process's CPU (utime+stime from /proc, all its threads) is read over a
// steady window once packets flow.
//
//   npm run bench:sfu -- [producers=20,50] [receivers=5,10] [seconds=10] [sfus=mediasoup,janus]
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { processUsage } from '../lib/proc.js';
import { startJanus } from './janus-sfu.js';
import { startMediasoup } from './mediasoup-sfu.js';
import { startDrain, startFeeding } from './rtp-feed.js';
import type { SfuUnderTest } from './sfu.js';

const [
  producersArg = '20,50',
  receiversArg = '5,10',
  secondsArg = '10',
  sfusArg = 'mediasoup,janus',
] = process.argv.slice(2);

interface Result {
  sfu: string;
  producers: number;
  receivers: number;
  streams: number;
  cpuPercent: number;
  packetsPerSecondOut: number;
}

async function measure(
  sfu: SfuUnderTest,
  producers: number,
  receivers: number,
  seconds: number,
): Promise<Result> {
  const drain = await startDrain();
  const room = await sfu.room(producers, receivers, drain.port);
  const stopFeeding = await startFeeding(room.feeds);
  await sleep(3000); // steady state
  // A count may take a while (packets keep flowing): each is dated at its middle.
  const count = async (): Promise<{ packets: number; at: number }> => {
    const from = process.hrtime.bigint();
    const packets = room.forwarded ? await room.forwarded() : drain.received();
    return { packets, at: Number((from + process.hrtime.bigint()) / 2n) / 1e9 };
  };
  const before = await count();
  // CPU between the counts: what a count itself costs the SFU (mediasoup's stats requests) stays out.
  const cpuBefore = processUsage(sfu.pid).cpu;
  const cpuFrom = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const cpu =
    (processUsage(sfu.pid).cpu - cpuBefore) / (Number(process.hrtime.bigint() - cpuFrom) / 1e9);
  const after = await count();
  stopFeeding();
  await room.close();
  drain.close();
  return {
    sfu: sfu.name,
    producers,
    receivers,
    streams: room.streams,
    cpuPercent: cpu * 100,
    packetsPerSecondOut: (after.packets - before.packets) / (after.at - before.at),
  };
}

const starters: Record<string, () => Promise<SfuUnderTest>> = {
  mediasoup: startMediasoup,
  janus: () => {
    // The anchor comes from Debian; the bench runs its own instance (not the packaged service).
    execFileSync(
      'bash',
      ['-c', 'source scripts/lib/common.sh && ensure_system_packages "the SFU benchmark" janus'],
      { stdio: 'inherit' },
    );
    return startJanus();
  },
};

const results: Result[] = [];
for (const name of sfusArg.split(',')) {
  const start = starters[name];
  if (!start) throw new Error(`unknown SFU ${name} (mediasoup or janus)`);
  const sfu = await start();
  try {
    for (const producers of producersArg.split(',').map(Number)) {
      for (const receivers of receiversArg.split(',').map(Number)) {
        const r = await measure(sfu, producers, receivers, Number(secondsArg));
        results.push(r);
        console.error(
          `${r.sfu}: ${r.streams} streams, ${r.cpuPercent.toFixed(1)} % of a core, ${Math.round(r.packetsPerSecondOut)} packets/s out`,
        );
      }
    }
  } finally {
    await sfu.close();
  }
}
console.log(
  `\nMachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
);
console.log(
  '| SFU | producers | receivers | forwarded streams | packets/s forwarded | SFU CPU (% of a core) | CPU per forwarded stream (% of a core) | streams per core |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.sfu} | ${r.producers} | ${r.receivers} | ${r.streams} | ${Math.round(r.packetsPerSecondOut)} | ${r.cpuPercent.toFixed(1)} | ${(r.cpuPercent / r.streams).toFixed(4)} | ${Math.round(r.streams / (r.cpuPercent / 100))} |`,
  );
}

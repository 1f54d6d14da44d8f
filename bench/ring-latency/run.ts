// Ring latency: N sender devices connected (socket.io-client in worker
// processes), M concurrent call:start; time from emitting call:start to the
// ringing device receiving call:ring. Starts the built server itself; with
// nodes=2, two servers sharing a throwaway Redis and PostgreSQL: the callers
// on node A, every device on node B (ranked from Redis, rung through the adapter).
//
//   npx tsx bench/ring-latency/run.ts [devices=1000,5000] [concurrency=1,10] [calls=200] [nodes=1]
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';
import { startServer } from '../../test/support/server-process.js';
import { LOAD_SETTINGS } from '../lib/load-settings.js';
import { createLink, signUp } from '../../test/support/sender.js';
import { startTwoNodes } from '../../test/support/nodes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FLEETS = 4;
const DEVICES_PER_SENDER = 100;

const [deviceCounts = '1000,5000', concurrencies = '1,10', callsArg = '200', nodesArg = '1'] =
  process.argv.slice(2);
const NODES = Number(nodesArg);
if (NODES !== 1 && NODES !== 2) throw new Error('nodes must be 1 or 2');

/** Where callers and devices connect (the same server with one node). */
interface Targets {
  callerUrl: string;
  deviceUrl: string;
  stop: () => Promise<void>;
}

async function startTargets(): Promise<Targets> {
  const settings = {
    ...LOAD_SETTINGS,
    MEDIASOUP_WORKERS: '1',
    // Two nodes: where new calls run (cluster, the default, or local).
    ...(process.env.MEDIA_PLACEMENT ? { MEDIA_PLACEMENT: process.env.MEDIA_PLACEMENT } : {}),
  };
  if (NODES === 1) {
    const server = await startServer(settings);
    return {
      callerUrl: server.url,
      deviceUrl: server.url,
      stop: async () => {
        await server.stop();
      },
    };
  }
  const two = await startTwoNodes(settings);
  return { callerUrl: two.nodeA.url, deviceUrl: two.nodeB.url, stop: () => two.stop() };
}

interface Result {
  devices: number;
  concurrency: number;
  calls: number;
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

/** A sender with one reply link, signed up as the tests do. */
async function senderWithLink(url: string): Promise<{ cookie: string; token: string }> {
  const sender = await signUp(
    url,
    'Bench Sender',
    `bench-${randomBytes(6).toString('hex')}@example.org`,
  );
  const { token } = await createLink(sender, { recipientName: 'Bench Caller' });
  return { cookie: sender.cookie, token };
}

async function measure(
  nodes: Targets,
  devices: number,
  concurrency: number,
  calls: number,
): Promise<Result> {
  // One at a time: the server checks at most 3 passwords at once per address.
  const senders: { cookie: string; token: string }[] = [];
  for (let i = 0; i < Math.ceil(devices / DEVICES_PER_SENDER); i++)
    senders.push(await senderWithLink(nodes.callerUrl));
  const plans = Array.from({ length: FLEETS }, () => ({
    url: nodes.deviceUrl,
    devices: [] as object[],
  }));
  for (let i = 0; i < devices; i++) {
    const sender = senders[Math.floor(i / DEVICES_PER_SENDER)];
    plans[i % FLEETS]?.devices.push({
      cookie: sender?.cookie,
      deviceId: randomBytes(12).toString('base64url'),
      label: `Device ${i}`,
      idleMs: 1000 + (i % DEVICES_PER_SENDER) * 5000,
    });
  }
  const rings = new Map<string, bigint>();
  const fleets: ChildProcess[] = plans.map(() =>
    fork(path.join(here, 'device-fleet.ts'), { execArgv: ['--import', 'tsx'] }),
  );
  await Promise.all(
    fleets.map(
      (fleet, i) =>
        new Promise<void>((resolve) => {
          fleet.on('message', (message: { type: string; callId?: string; at?: string }) => {
            if (message.type === 'ready') resolve();
            if (message.type === 'ring' && message.callId && message.at)
              rings.set(message.callId, BigInt(message.at));
          });
          fleet.send({ type: 'connect', plan: plans[i] });
        }),
    ),
  );

  const callers: Socket<ServerToClientEvents, ClientToServerEvents>[] = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(nodes.callerUrl, {
        transports: ['websocket'],
      });
      await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
      return socket;
    }),
  );

  const latencies: number[] = [];
  for (let done = 0; done < calls; done += concurrency) {
    await Promise.all(
      callers.map(async (caller, i) => {
        const sender = senders[(done + i) % senders.length];
        const sent = process.hrtime.bigint();
        const ack = await caller.emitWithAck('call:start', {
          token: sender?.token ?? '',
          callerName: 'Bench',
          video: false,
        });
        if (!ack.ok) throw new Error(ack.error.message);
        const { callId } = ack.data;
        const deadline = Date.now() + 5000;
        while (!rings.has(callId)) {
          if (Date.now() > deadline) throw new Error(`no ring for ${callId}`);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        latencies.push(Number((rings.get(callId) ?? sent) - sent) / 1e6);
        await caller.emitWithAck('call:hangup', { callId });
      }),
    );
  }
  for (const caller of callers) caller.disconnect();
  for (const fleet of fleets) fleet.send({ type: 'close' });
  latencies.sort((a, b) => a - b);
  return {
    devices,
    concurrency,
    calls: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

const results: Result[] = [];
for (const devices of deviceCounts.split(',').map(Number)) {
  for (const concurrency of concurrencies.split(',').map(Number)) {
    const nodes = await startTargets();
    try {
      results.push(await measure(nodes, devices, concurrency, Number(callsArg)));
    } finally {
      await nodes.stop();
    }
    const r = results.at(-1);
    if (r)
      console.error(
        `devices=${r.devices} concurrency=${r.concurrency}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
      );
  }
}
console.log(
  `\nNodes: ${NODES}${NODES > 1 ? ` (MEDIA_PLACEMENT=${process.env.MEDIA_PLACEMENT ?? 'cluster'})` : ''}. Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
);
console.log(
  '| devices connected | concurrent call:start | calls | p50 (ms) | p99 (ms) | max (ms) |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.devices} | ${r.concurrency} | ${r.calls} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`,
  );
}

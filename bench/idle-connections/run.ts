// Idle device connections per GiB of server memory: N desk-app devices
// (socket.io-client in worker processes, each said hello and sent one activity
// beat) stay connected to one server; the server process's resident memory is
// read before and after. Starts the built server itself.
//
//   npx tsx bench/idle-connections/run.ts [devices=5000,10000,15000]
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { signUp } from '../../test/support/sender.js';
import { startServer, type RunningServer } from '../../test/support/server-process.js';
import { LOAD_SETTINGS } from '../lib/load-settings.js';
import { processUsage } from '../lib/proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FLEET = path.join(here, '..', 'ring-latency', 'device-fleet.ts');
const FLEETS = 4;
const DEVICES_PER_SENDER = 100;
const GiB = 2 ** 30;

const [deviceCounts = '5000,10000,15000'] = process.argv.slice(2);

interface Result {
  devices: number;
  baseMiB: number;
  loadedMiB: number;
  perConnectionKiB: number;
  perGiB: number;
}

async function measure(server: RunningServer, devices: number): Promise<Result> {
  const pid = server.process.pid ?? 0;
  // One at a time: the server checks at most 3 passwords at once per address.
  const cookies: string[] = [];
  for (let i = 0; i < Math.ceil(devices / DEVICES_PER_SENDER); i++)
    cookies.push((await signUp(server.url, 'Bench Sender')).cookie);
  await sleep(2000);
  const base = processUsage(pid).rssBytes;
  const plans = Array.from({ length: FLEETS }, () => ({
    url: server.url,
    devices: [] as object[],
  }));
  for (let i = 0; i < devices; i++) {
    plans[i % FLEETS]?.devices.push({
      cookie: cookies[Math.floor(i / DEVICES_PER_SENDER)],
      deviceId: randomBytes(12).toString('base64url'),
      label: `Device ${i}`,
      idleMs: 60_000,
    });
  }
  const fleets: ChildProcess[] = plans.map(() => fork(FLEET, { execArgv: ['--import', 'tsx'] }));
  const counts = await Promise.all(
    fleets.map(
      (fleet, i) =>
        new Promise<number>((resolve) => {
          fleet.on('message', (message: { type: string; count?: number }) => {
            if (message.type === 'ready') resolve(message.count ?? 0);
          });
          fleet.send({ type: 'connect', plan: plans[i] });
        }),
    ),
  );
  // Every device said hello and was registered (not lighter anonymous sockets).
  const registered = counts.reduce((sum, n) => sum + n, 0);
  if (registered !== devices)
    throw new Error(`only ${registered} of ${devices} devices registered`);
  // Idle: let the connect burst's garbage be collected before reading.
  await sleep(10_000);
  const loaded = processUsage(pid).rssBytes;
  for (const fleet of fleets) fleet.send({ type: 'close' });
  const perConnection = (loaded - base) / devices;
  return {
    devices,
    baseMiB: base / 2 ** 20,
    loadedMiB: loaded / 2 ** 20,
    perConnectionKiB: perConnection / 1024,
    perGiB: GiB / perConnection,
  };
}

const results: Result[] = [];
for (const devices of deviceCounts.split(',').map(Number)) {
  const server = await startServer({ ...LOAD_SETTINGS, MEDIASOUP_WORKERS: '1' });
  try {
    results.push(await measure(server, devices));
  } finally {
    await server.stop();
  }
  const r = results.at(-1);
  if (r) console.error(`devices=${r.devices}: ${r.perConnectionKiB.toFixed(1)} KiB each`);
}
console.log(
  `\nMachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / GiB)} GiB, Node ${process.version}\n`,
);
console.log(
  '| idle devices | server RSS before (MiB) | after (MiB) | per connection (KiB) | connections per GiB |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.devices} | ${r.baseMiB.toFixed(0)} | ${r.loadedMiB.toFixed(0)} | ${r.perConnectionKiB.toFixed(1)} | ${Math.round(r.perGiB)} |`,
  );
}

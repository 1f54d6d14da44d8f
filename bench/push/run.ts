// Ring by notification (Web Push): N senders, each with one installed desk
// app that said hello, stored a push subscription and closed; C callers emit
// call:start at the same instant to C different senders; latency is from
// emitting call:start to the push service having accepted (answered 201) the
// ring push for that call. The push service is the tests' one
// (test/support/push-service.ts, through bench/push/receiver.ts), in this
// process (one monotonic clock, performance.now(), on both ends); the
// server is the built one, sending through its `web-push` sender over
// loopback HTTPS. Each call is hung up once its ring arrived, and the next
// round waits for the ring_ended push that follows.
//
//   npx tsx bench/push/run.ts [senders=1000] [concurrency=1,10] [calls=200]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';
import type { PushKey } from '../../protocol/push.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import { connectDevice, createLink, signUp } from '../../test/support/sender.js';
import { startServer, type RunningServer } from '../../test/support/server-process.js';
import { LOAD_SETTINGS } from '../lib/load-settings.js';
import { processUsage } from '../lib/proc.js';
import { startBenchPushService, type BenchPushService } from './receiver.js';

type CallerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const [sendersArg = '1000', concurrencies = '1,10', callsArg = '200'] = process.argv.slice(2);
const SENDERS = Number(sendersArg);
const LEVELS = concurrencies.split(',').map(Number);
const CALLS = Number(callsArg);
if (![SENDERS, CALLS, ...LEVELS].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('usage: run.ts [senders=1000] [concurrency=1,10] [calls=200]');
if (Math.max(...LEVELS) > SENDERS) throw new Error('more concurrent callers than senders');

/** Longest wait for any one answer or push; past it the bench fails. */
const WAIT_MS = 5000;
/** Pause between rounds. */
const PAUSE_MS = 100;

interface BenchSender {
  token: string;
  subscriptionId: string;
}

interface Level {
  concurrency: number;
  /** call:start emitted -> ring push answered 201 (ms). */
  accepted: number[];
  /** call:start emitted -> its ack; -> the push request's body in. */
  acked: number[];
  arrived: number[];
  /** call:hangup emitted -> ring_ended push answered 201. */
  ended: number[];
  /** `accepted` of the rings sent on a new TLS connection, and on one kept alive. */
  onNew: number[];
  onReused: number[];
  serverCpuSeconds: number;
  wallSeconds: number;
  /** TLS connections the server opened to the push service during the level. */
  connections: number;
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

function stats(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error naming `what` after `ms`: the bench never hangs. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A sender with a link and one closed desk app holding a subscription on `receiver`. */
async function closedDeskSender(
  url: string,
  receiver: BenchPushService,
  index: number,
  vapidKey: { value: string | undefined },
): Promise<BenchSender> {
  const sender = await signUp(url, 'Bench Sender', `bench-push-${index}-${Date.now()}@example.org`);
  const device = await connectDevice(url, sender, `Desk ${index}`);
  await device.beat(1000, true);
  device.socket.disconnect();
  // Pushes signed with another key than the server's are refused.
  vapidKey.value ??= (
    (await (await sender.api('GET', '/api/push/key')).json()) as PushKey
  ).publicKey;
  const subscription = receiver.newSubscription(vapidKey.value);
  const stored = await sender.api('PUT', `/api/devices/${device.deviceId}/push`, {
    endpoint: subscription.endpoint,
    keys: subscription.keys,
  });
  if (stored.status !== 204)
    throw new Error(`storing a subscription: ${stored.status} ${await stored.text()}`);
  const { token } = await createLink(sender, { recipientName: 'Bench Caller' });
  if (!token) throw new Error('no link token');
  return { token, subscriptionId: subscription.id };
}

async function connectCaller(url: string): Promise<CallerSocket> {
  const socket: CallerSocket = io(url, { transports: ['websocket'], reconnection: false });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    WAIT_MS,
    'caller connecting',
  );
  return socket;
}

/** One call: start, wait for its ring push, hang up, wait for the ring_ended push. */
async function oneCall(
  caller: CallerSocket,
  sender: BenchSender,
  receiver: BenchPushService,
  level: Level,
): Promise<void> {
  const sent = performance.now();
  const started = await within(
    caller.emitWithAck('call:start', { token: sender.token, callerName: 'Bench', video: false }),
    WAIT_MS,
    'call:start ack',
  );
  const ackedAt = performance.now();
  if (!started.ok) throw new Error(`call:start: ${started.error.code} ${started.error.message}`);
  const { callId } = started.data;
  const rang = await receiver.waitFor(
    sender.subscriptionId,
    (push) => push.type === 'ring' && push.callId === callId,
    WAIT_MS,
    `ring push for call ${callId}`,
  );
  level.acked.push(ackedAt - sent);
  level.arrived.push(rang.arrivedAt - sent);
  level.accepted.push(rang.answeredAt - sent);
  (rang.newConnection ? level.onNew : level.onReused).push(rang.answeredAt - sent);

  const hangingUp = performance.now();
  const hungUp = await within(
    caller.emitWithAck('call:hangup', { callId }),
    WAIT_MS,
    `call:hangup ack for ${callId}`,
  );
  if (!hungUp.ok) throw new Error(`call:hangup: ${hungUp.error.code} ${hungUp.error.message}`);
  const ended = await receiver.waitFor(
    sender.subscriptionId,
    (push) => push.type === 'ring_ended' && push.callId === callId,
    WAIT_MS,
    `ring_ended push for call ${callId}`,
  );
  level.ended.push(ended.answeredAt - hangingUp);
}

async function measure(
  server: RunningServer,
  receiver: BenchPushService,
  senders: BenchSender[],
  concurrency: number,
  next: { sender: number },
): Promise<Level> {
  const level: Level = {
    concurrency,
    accepted: [],
    acked: [],
    arrived: [],
    ended: [],
    onNew: [],
    onReused: [],
    serverCpuSeconds: 0,
    wallSeconds: 0,
    connections: 0,
  };
  const callers = await Promise.all(
    Array.from({ length: concurrency }, () => connectCaller(server.url)),
  );
  const pid = server.process.pid ?? 0;
  const cpuBefore = processUsage(pid).cpu;
  const wallBefore = performance.now();
  const connectionsBefore = receiver.connections();
  try {
    for (let done = 0; done < CALLS; done += concurrency) {
      // C different senders (each sender's last call is over: its ring_ended arrived).
      const round = callers.map((caller) => ({
        caller,
        sender: senders[next.sender++ % senders.length] as BenchSender,
      }));
      await Promise.all(
        round.map(({ caller, sender }) => oneCall(caller, sender, receiver, level)),
      );
      await sleep(PAUSE_MS);
    }
  } finally {
    for (const caller of callers) caller.disconnect();
  }
  level.serverCpuSeconds = processUsage(pid).cpu - cpuBefore;
  level.wallSeconds = (performance.now() - wallBefore) / 1000;
  level.connections = receiver.connections() - connectionsBefore;
  return level;
}

/** voxreply_push_sent_total by result, from the server's /metrics. */
async function pushResults(url: string): Promise<Record<string, number>> {
  const text = await (await within(fetch(`${url}/metrics`), WAIT_MS, 'GET /metrics')).text();
  const results: Record<string, number> = {};
  for (const match of text.matchAll(/^voxreply_push_sent_total\{result="(\w+)"\} (\d+)/gm))
    results[match[1] ?? '?'] = Number(match[2]);
  return results;
}

const fmt = (ms: number) => ms.toFixed(2);

async function main(): Promise<void> {
  const receiver = await startBenchPushService();
  let server: RunningServer | undefined;
  try {
    server = await startServer({
      ...LOAD_SETTINGS,
      MEDIASOUP_WORKERS: '1',
      NODE_EXTRA_CA_CERTS: receiver.caFile,
      PUSH_SERVICE_HOSTS: new URL(receiver.origin).host,
      VAPID_SUBJECT: 'mailto:bench@voxreply.test',
      // Passed on as NODE_OPTIONS, e.g. to --require a CPU profiler into the server.
      ...(process.env.SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS } : {}),
    });
    const setupStarted = performance.now();
    // One at a time: the server checks at most 3 passwords at once per address.
    const senders: BenchSender[] = [];
    const vapidKey = { value: undefined as string | undefined };
    for (let i = 0; i < SENDERS; i++) {
      senders.push(
        await within(
          closedDeskSender(server.url, receiver, i, vapidKey),
          15_000,
          `setting up sender ${i}`,
        ),
      );
      if ((i + 1) % 100 === 0) console.error(`${i + 1} senders with a closed desk app`);
    }
    console.error(
      `set-up: ${SENDERS} senders in ${((performance.now() - setupStarted) / 1000).toFixed(0)} s; waiting out presence's grace period`,
    );
    // The last devices to close count as closed (rung by push only) after this.
    await sleep(OFFLINE_GRACE_MS + 1000);

    const loadBefore = os.loadavg();
    const levels: Level[] = [];
    const next = { sender: 0 };
    for (const concurrency of LEVELS) {
      const level = await measure(server, receiver, senders, concurrency, next);
      levels.push(level);
      const s = stats(level.accepted);
      console.error(
        `concurrency=${concurrency}: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, max ${fmt(s.max)} ms, ${level.connections} new TLS connections`,
      );
    }
    const loadAfter = os.loadavg();
    const results = await pushResults(server.url);
    const problems = receiver.problems();
    if (problems.length > 0) throw new Error(`the push service refused: ${problems.join('; ')}`);

    const cpu = os.cpus();
    console.log(
      `\nMachine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}. ${new Date().toISOString()}. Load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after.`,
    );
    console.log(
      `Senders: ${SENDERS}, each with one closed desk app holding a subscription. Pushes: ${receiver.requests()} requests on ${receiver.connections()} TLS connections; server's voxreply_push_sent_total: ${JSON.stringify(results)}.\n`,
    );
    console.log(
      '| closed apps with a subscription | concurrent call:start | calls | p50 (ms) | p99 (ms) | max (ms) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const level of levels) {
      const s = stats(level.accepted);
      console.log(
        `| ${SENDERS} | ${level.concurrency} | ${level.accepted.length} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`,
      );
    }
    console.log('\nWhere the time goes, p50 / p99 (ms from emitting call:start):\n');
    console.log(
      '| concurrent | call:start acked | push body in | push answered 201 | hang-up -> ring_ended 201 | rings on a new TLS connection: count, answered p50 | on a kept-alive one | new TLS connections | server CPU (% of a core) | server CPU per call (ms) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const level of levels) {
      const pair = (values: number[]) => {
        const s = stats(values);
        return `${fmt(s.p50)} / ${fmt(s.p99)}`;
      };
      console.log(
        `| ${level.concurrency} | ${pair(level.acked)} | ${pair(level.arrived)} | ${pair(level.accepted)} | ${pair(level.ended)} | ${level.onNew.length}, ${fmt(stats(level.onNew).p50)} | ${level.onReused.length}, ${fmt(stats(level.onReused).p50)} | ${level.connections} | ${((100 * level.serverCpuSeconds) / level.wallSeconds).toFixed(0)} | ${((1000 * level.serverCpuSeconds) / level.accepted.length).toFixed(2)} |`,
      );
    }
  } catch (error) {
    console.error(error);
    if (server)
      console.error(`server output (last 4000 characters):\n${server.output().slice(-4000)}`);
    process.exitCode = 1;
  } finally {
    if (server) {
      const running = server;
      await within(running.stop(), 10_000, 'stopping the server').catch(() =>
        running.stop('SIGKILL'),
      );
    }
    await receiver.close();
  }
}

await main();
// Sockets or timers left by a failed run must not keep the bench alive.
process.exit();

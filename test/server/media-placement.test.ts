// Where a new call runs with several nodes: on the node whose media worker is
// the least loaded (each node publishes its workers' load to Redis). Nodes
// without workers (signaling only) run no call themselves: a page on one
// calls, a desk on another answers, and the call, its room and its record
// are on the media node. A second call goes to the idler of two media nodes.
// When the media node running a call dies, the page (whose own node is
// fine) hears the call was lost, resumes it, and another media node takes
// it over; the desk follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, viewCluster, type ClusterView, type Nodes } from '../support/nodes.js';
import {
  callHistory,
  createLink,
  ok,
  signUp,
  sleep,
  socketsPerTest,
  startCall,
  type Sender,
  type TestCaller,
  type TestDevice,
} from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';

let cluster: Nodes;
let nodeA: RunningServer;
let nodeB: RunningServer;
let view: ClusterView;
const { caller: page, device } = socketsPerTest();

beforeAll(async () => {
  // A and B: signaling only; C: one media worker.
  cluster = await startNodes(2, { MEDIASOUP_WORKERS: '0' });
  [nodeA, nodeB] = cluster.nodes as [RunningServer, RunningServer];
  await cluster.add({ MEDIASOUP_WORKERS: '1' });
  view = await viewCluster(cluster);
});

afterAll(async () => {
  await view.close();
  await cluster.stop();
});

const desk = (url: string, sender: Sender) => device(url, sender, 'Laptop');

/** A page on `pageUrl` calls; the desk answers; both open their transports. */
async function answeredCall(sender: Sender, pageUrl: string, laptop: TestDevice) {
  const link = await createLink(sender, { recipientName: 'Grace' });
  const caller = await page(pageUrl);
  const started = await startCall(caller, link.token);
  const { callId } = started;
  await expect.poll(() => laptop.rings.some((ring) => ring.callId === callId)).toBe(true);
  ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
  await expect.poll(() => caller.stages.at(-1)).toBe('connected');
  for (const socket of [caller.socket, laptop.socket]) {
    for (const direction of ['send', 'recv'] as const) {
      ok(await socket.emitWithAck('media:createTransport', { direction }));
    }
  }
  return { callId, caller, resumeToken: started.resumeToken };
}

/** The desk hangs up: the page hears it, and the record is one answered call. */
async function deskHangsUp(
  sender: Sender,
  laptop: TestDevice,
  caller: TestCaller,
  callId: string,
): Promise<void> {
  const ended: unknown[] = [];
  caller.socket.on('call:ended', (event) => ended.push(event));
  ok(await laptop.socket.emitWithAck('call:hangup', { callId }));
  await expect.poll(() => ended).toEqual([{ callId, by: 'sender' }]);
  expect((await callHistory(sender))[0]).toMatchObject({
    id: callId,
    outcome: 'answered',
    answeredOn: 'Laptop',
  });
}

describe('placing calls by media load', () => {
  it('runs a call from a signaling-only node on the media node; desk and page elsewhere', async () => {
    // Signaling-only nodes are healthy, and publish no media load.
    expect((await fetch(`${nodeA.url}/healthz`)).status).toBe(200);
    const [media] = await view.mediaNodes();
    expect(await view.mediaNodes()).toHaveLength(1);

    const sender = await signUp(nodeA.url, 'Sam Sender');
    const laptop = await desk(nodeB.url, sender);
    const { callId, caller } = await answeredCall(sender, nodeA.url, laptop);
    expect(await view.callOwner(callId)).toBe(media);

    await deskHangsUp(sender, laptop, caller, callId);

    // The same page calls again: it hangs up while it rings, the desk declines the next,
    // and it may call once more (its node forgot each call as it ended).
    const link = await createLink(sender, { recipientName: 'Grace' });
    const ringing = (await startCall(caller, link.token)).callId;
    await expect.poll(() => laptop.rings.some((ring) => ring.callId === ringing)).toBe(true);
    ok(await caller.socket.emitWithAck('call:hangup', { callId: ringing }));
    const declined = (await startCall(caller, link.token)).callId;
    await expect.poll(() => laptop.rings.some((ring) => ring.callId === declined)).toBe(true);
    ok(await laptop.socket.emitWithAck('call:decline', { callId: declined }));
    await expect.poll(() => caller.stages.at(-1)).toBe('declined');
    const third = (await startCall(caller, link.token)).callId;
    ok(await caller.socket.emitWithAck('call:hangup', { callId: third }));
  });

  it('puts a new call on the idler of two media nodes', async () => {
    const nodeD = await cluster.add({ MEDIASOUP_WORKERS: '1' });
    await expect.poll(view.mediaNodes).toHaveLength(2);
    const [sam, ada] = await Promise.all([
      signUp(nodeA.url, 'Sam Sender'),
      signUp(nodeA.url, 'Ada Sender'),
    ]);
    const first = await answeredCall(sam, nodeA.url, await desk(nodeB.url, sam));
    // Both nodes have published their load since (every 2 s).
    await sleep(4_500);
    const second = await answeredCall(ada, nodeA.url, await desk(nodeB.url, ada));
    const [busy, idle] = [await view.callOwner(first.callId), await view.callOwner(second.callId)];
    expect(busy).toBeDefined();
    expect(idle).toBeDefined();
    expect(idle).not.toBe(busy);

    // One call per page, though placement could put a second one on the other node:
    // two starts at once, and one while its call runs.
    const link = await createLink(sam, { recipientName: 'Grace' });
    const grace = await page(nodeA.url);
    const request = { token: link.token, callerName: 'Grace', video: false };
    const both = await Promise.all([
      grace.socket.emitWithAck('call:start', request),
      grace.socket.emitWithAck('call:start', request),
    ]);
    const refused = {
      ok: false,
      error: { code: 'forbidden', message: 'this page is already in a call' },
    };
    expect(both.filter((ack) => ack.ok)).toHaveLength(1);
    expect(both.find((ack) => !ack.ok)).toEqual(refused);
    expect(await grace.socket.emitWithAck('call:start', request)).toEqual(refused);
    await nodeD.stop();
  });

  it('goes on when the media node running it dies: the page resumes, another node takes over', async () => {
    const spare = await cluster.add({ MEDIASOUP_WORKERS: '1' });
    await expect.poll(async () => (await view.mediaNodes()).length).toBeGreaterThanOrEqual(2);
    const sender = await signUp(nodeA.url, 'Sam Sender');
    const laptop = await desk(nodeB.url, sender);
    const moves: unknown[] = [];
    laptop.socket.on('media:roomMoved', (joined) => moves.push(joined));
    const { callId, caller, resumeToken } = await answeredCall(sender, nodeA.url, laptop);
    const running = await view.callOwner(callId);
    const victim = await view.serverRunning(callId);
    if (!victim) throw new Error('no server runs the call');
    const lost: unknown[] = [];
    caller.socket.on('call:lost', (event) => lost.push(event));

    await victim.stop('SIGKILL');
    // The page's own node (A) is fine: it tells the page its call's node went.
    await expect.poll(() => lost, { timeout: 10_000 }).toEqual([{ callId }]);
    const resumed = ok(
      await caller.socket.emitWithAck('call:resume', { callId, resumeToken: resumeToken ?? '' }),
    );
    expect(resumed.callId).toBe(callId);
    // A has no workers: the other media node took the call over.
    const taker = await view.callOwner(callId);
    expect(taker).toBeDefined();
    expect(taker).not.toBe(running);
    expect(await view.mediaNodes()).toContain(taker);
    await expect.poll(() => moves.length).toBe(1);
    await expect.poll(() => caller.stages.at(-1)).toBe('connected');
    // Both sides' media requests reach the new room.
    for (const socket of [caller.socket, laptop.socket]) {
      ok(await socket.emitWithAck('media:createTransport', { direction: 'recv' }));
    }
    await deskHangsUp(sender, laptop, caller, callId);
    await spare.stop();
  });
});

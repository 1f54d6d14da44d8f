// Two signaling nodes sharing PostgreSQL and Redis: what one node emits to a
// room reaches sockets on the other (chat, before and after a Redis restart),
// and a call from a reply page on node A rings, is answered and hung up by
// the sender's devices on node B (forwarded to A, which runs the call), with
// one winner when devices on both nodes answer at once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocol/chat.js';
import type { ReplyPageInfo } from '../../protocol/links.js';
import { REQUEST_HEADER } from '../../protocol/http.js';
import type { DeviceView } from '../../protocol/presence.js';
import {
  callHistory,
  connect,
  connectDevice,
  createLink,
  ok,
  signUp,
  socketsPerTest,
  startCall,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { startTwoNodes, type TwoNodes } from '../support/nodes.js';

let nodes: TwoNodes;
let nodeA: RunningServer;
let nodeB: RunningServer;

beforeAll(async () => {
  nodes = await startTwoNodes();
  ({ nodeA, nodeB } = nodes);
});

const { caller, device } = socketsPerTest();

afterAll(async () => {
  await nodes.stop();
});

describe('two nodes through Redis', () => {
  it('refuses to start a node that cannot reach Redis, saying so', async () => {
    await expect(startServer({ REDIS_URL: 'redis://127.0.0.1:9' })).rejects.toThrow(
      /cannot reach Redis at REDIS_URL within 10 s/,
    );
  });

  it('carries a chat between a reply page on one node and the desk app on the other', async () => {
    const sender = await signUp(nodeA.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const desk = await connectDevice(nodeB.url, sender, 'Laptop');
    const page = await connect(nodeA.url);
    const atDesk: ChatMessage[] = [];
    const atPage: ChatMessage[] = [];
    desk.socket.on('chat:message', (message) => atDesk.push(message));
    page.on('chat:message', (message) => atPage.push(message));
    ok(await desk.socket.emitWithAck('chat:open', { linkId: link.id }));
    ok(await page.emitWithAck('chat:open', { token: link.token }));

    ok(await page.emitWithAck('chat:send', { token: link.token, text: 'Hello from A' }));
    await expect.poll(() => atDesk.map((m) => m.text)).toEqual(['Hello from A']);
    ok(await desk.socket.emitWithAck('chat:send', { linkId: link.id, text: 'Hi from B' }));
    await expect.poll(() => atPage.map((m) => m.text)).toEqual(['Hi from B']);

    // Redis goes away and comes back: the nodes reconnect and carry messages again.
    await nodes.redis.restart();
    await expect
      .poll(
        async () => {
          const text = `after the restart ${randomBytes(4).toString('hex')}`;
          ok(await page.emitWithAck('chat:send', { token: link.token, text }));
          await new Promise((resolve) => setTimeout(resolve, 200));
          return atDesk.some((m) => m.text === text);
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(true);
    page.disconnect();
    desk.socket.disconnect();
  });
});

/** A sender whose link is called from a page on node A; devices connect where each test says. */
async function senderWithLink(plan = { firstStageSeconds: 5, totalSeconds: 20 }) {
  const sender = await signUp(nodeA.url, 'Sam Sender');
  expect((await sender.api('PATCH', '/api/me/settings', { ringPlan: plan })).status).toBe(200);
  const link = await createLink(sender, { recipientName: 'Grace', subject: 'Q3 plan' });
  return { sender, link, caller: await caller(nodeA.url) };
}

describe('a call across two nodes', () => {
  it('rings a desk on node B for a page on node A; B answers, sets up media, hangs up', async () => {
    const { sender, link, caller } = await senderWithLink();
    const laptop = await device(nodeB.url, sender, 'Laptop on B');
    await laptop.beat(500, true);
    // The reply page on A counts the desk connected to B.
    const page = (await (
      await fetch(`${nodeA.url}/api/reply/${link.token}`)
    ).json()) as ReplyPageInfo;
    expect(page.senderStatus).toBe('available');

    const callId = (await startCall(caller, link.token)).callId;
    await expect.poll(() => laptop.rings.map((ring) => ring.callId)).toEqual([callId]);
    expect(laptop.rings[0]).toMatchObject({ callerName: 'Grace', subject: 'Q3 plan' });

    const answered = ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    expect(answered.callId).toBe(callId);
    expect(answered.media.routerRtpCapabilities).toHaveProperty('codecs');
    await expect.poll(() => caller.stages.at(-1)).toBe('connected');
    // B's media requests reach the room on A's worker.
    const transport = ok(
      await laptop.socket.emitWithAck('media:createTransport', { direction: 'recv' }),
    );
    expect(transport.id).toMatch(/./);
    // The sender is busy for pages on either node.
    const busy = (await (
      await fetch(`${nodeB.url}/api/reply/${link.token}`)
    ).json()) as ReplyPageInfo;
    expect(busy.senderStatus).toBe('busy');

    const ended: unknown[] = [];
    caller.socket.on('call:ended', (event) => ended.push(event));
    ok(await laptop.socket.emitWithAck('call:hangup', { callId }));
    await expect.poll(() => ended).toEqual([{ callId, by: 'sender' }]);
    await expect
      .poll(async () => (await callHistory(sender))[0])
      .toMatchObject({
        id: callId,
        outcome: 'answered',
        answeredOn: 'Laptop on B',
      });
    // The record explains the ring with the desk as node B saw it (not "offline").
    await expect
      .poll(async () => (await callHistory(sender))[0]?.ringReasons)
      .toEqual([expect.stringMatching(/^Laptop on B: input \d+ s ago, focused$/)]);
  });

  it('lets exactly one of two devices on two nodes win when both answer at once', async () => {
    const { sender, link, caller } = await senderWithLink();
    // Both ring from the start (ring preference "always").
    const onA = await device(nodeA.url, sender, 'Desk on A');
    const onB = await device(nodeB.url, sender, 'Desk on B');
    for (const desk of [onA, onB]) {
      ok(
        await desk.socket.emitWithAck('device:update', {
          deviceId: desk.deviceId,
          ringPreference: 'always',
        }),
      );
    }
    for (let round = 0; round < 5; round++) {
      const callId = (await startCall(caller, link.token)).callId;
      await expect
        .poll(() => [onA, onB].map((desk) => desk.rings.some((ring) => ring.callId === callId)))
        .toEqual([true, true]);
      const [a, b] = await Promise.all([
        onA.socket.emitWithAck('call:answer', { callId, video: false }),
        onB.socket.emitWithAck('call:answer', { callId, video: false }),
      ]);
      expect([a, b].filter((ack) => ack.ok)).toHaveLength(1);
      expect([a, b].find((ack) => !ack.ok)).toEqual({
        ok: false,
        error: { code: 'conflict', message: 'this call is no longer ringing here' },
      });
      const [winner, loser, label] = a.ok ? [onA, onB, 'Desk on A'] : [onB, onA, 'Desk on B'];
      await expect
        .poll(() => loser.ringEnds)
        .toContainEqual({ callId, reason: 'answered_elsewhere', answeredOn: label });
      ok(await winner.socket.emitWithAck('call:hangup', { callId }));
      await expect
        .poll(async () => (await callHistory(sender))[0])
        .toMatchObject({
          id: callId,
          outcome: 'answered',
          answeredOn: label,
        });
    }
  });

  it('ends the call for the page on A when the desk on B disconnects', async () => {
    const { link, sender, caller } = await senderWithLink();
    const laptop = await device(nodeB.url, sender, 'Laptop on B');
    const callId = (await startCall(caller, link.token)).callId;
    await expect.poll(() => laptop.rings.length).toBe(1);
    ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    const ended: unknown[] = [];
    caller.socket.on('call:ended', (event) => ended.push(event));
    laptop.socket.disconnect();
    await expect.poll(() => ended).toEqual([{ callId, by: 'sender' }]);
  });

  it("shows every desk the account's devices on both nodes, and when one goes", async () => {
    const { sender } = await senderWithLink();
    const laptop = await device(nodeA.url, sender, 'Laptop on A');
    const lists: DeviceView[][] = [];
    laptop.socket.on('devices:list', (list) => lists.push(list));
    const phone = await device(nodeB.url, sender, 'Phone on B');
    const stateOf = (id: string) => lists.at(-1)?.find((d) => d.deviceId === id)?.state;
    await expect.poll(() => stateOf(phone.deviceId)).toMatch(/^(active|idle|sleeping)$/);
    // The list node A itself computes (the ack of a change made there) counts the phone too.
    const fromA = ok(
      await laptop.socket.emitWithAck('device:update', {
        deviceId: laptop.deviceId,
        label: 'Laptop on A',
      }),
    );
    expect(fromA.find((d) => d.deviceId === phone.deviceId)?.state).not.toBe('offline');
    phone.socket.disconnect();
    await expect.poll(() => stateOf(phone.deviceId), { timeout: 10_000 }).toBe('offline');
    expect(stateOf(laptop.deviceId)).not.toBe('offline');
  });

  it('takes a decline from a notification on either node, where the call runs', async () => {
    for (const via of [nodeA, nodeB]) {
      const { sender, link, caller } = await senderWithLink();
      const laptop = await device(nodeB.url, sender, 'Laptop on B');
      const { callId } = await startCall(caller, link.token);
      await expect.poll(() => laptop.rings.map((ring) => ring.callId)).toEqual([callId]);
      // What the closed app's service worker sends (HTTP, no socket), to the node it reaches.
      const declined = await fetch(`${via.url}/api/calls/${callId}/decline`, {
        method: 'POST',
        headers: {
          cookie: sender.cookie,
          [REQUEST_HEADER]: '1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ deviceId: laptop.deviceId }),
      });
      expect(declined.status, await declined.text()).toBe(204);
      await expect.poll(() => caller.stages.at(-1)).toBe('declined');
      await expect.poll(() => laptop.ringEnds).toEqual([{ callId, reason: 'declined' }]);
    }
  });

  it('refuses requests about a call no node runs, with a clear error', async () => {
    const { sender } = await senderWithLink();
    const laptop = await device(nodeB.url, sender, 'Laptop on B');
    expect(
      await laptop.socket.emitWithAck('call:answer', { callId: 'no-such-call-id', video: false }),
    ).toEqual({ ok: false, error: { code: 'not_found', message: 'no such call' } });
  });
});

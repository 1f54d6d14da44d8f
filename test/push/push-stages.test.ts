// Rings by push as the ring plan stages them, with the built server (a real
// process) sending through its `web-push` sender to the tests' push service
// (loopback HTTPS, trusted through NODE_EXTRA_CA_CERTS), which verifies every
// VAPID JWT and decrypts every payload: do-not-disturb pushes nothing, and a
// sender's 100 closed apps ring as the plan says, the most recently used one
// first, then the other 99 together, and all hear when the caller gives up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me } from '../../protocol/accounts.js';
import type { PushKey } from '../../protocol/push.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import {
  newSubscription,
  startPushService,
  type PushService,
  type TestSubscription,
} from '../support/push-service.js';
import {
  callHistory,
  connectDevice,
  createLink,
  ok,
  signUp,
  sleep,
  socketsPerTest,
  startCall,
  type Sender,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let service: PushService;
let server: RunningServer;
const sockets = socketsPerTest();

beforeAll(async () => {
  service = await startPushService();
  server = await startServer({
    NODE_EXTRA_CA_CERTS: service.caFile,
    VAPID_SUBJECT: 'mailto:desk-stages@voxreply.test',
    // The only push service the server may send to: the tests' one.
    PUSH_SERVICE_HOSTS: new URL(service.origin).host,
    // Every test signs up and calls; one has 100 devices say hello.
    RATE_LIMIT_MULTIPLIER: '20',
  });
});

afterAll(async () => {
  await server.stop();
  await service.close();
});

/** Runs `work` on every item, `size` at a time. */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    const batch = items.slice(start, start + size);
    results.push(...(await Promise.all(batch.map((item, i) => work(item, start + i)))));
  }
  return results;
}

/**
 * A closed desk app: it said hello, had input `idleMs` ago, and its tab
 * closed (presence keeps that last input for the ranking).
 */
async function closedDevice(sender: Sender, label: string, idleMs: number): Promise<string> {
  const device = await connectDevice(server.url, sender, label);
  await device.beat(idleMs, true);
  device.socket.disconnect();
  return device.deviceId;
}

/** Stores a new subscription for `deviceId`, as the desk does when notifications are allowed. */
async function subscribe(sender: Sender, deviceId: string): Promise<TestSubscription> {
  const { publicKey } = (await (await sender.api('GET', '/api/push/key')).json()) as PushKey;
  const subscription = newSubscription(service, publicKey);
  const answer = await sender.api('PUT', `/api/devices/${deviceId}/push`, {
    endpoint: subscription.endpoint,
    keys: subscription.keys,
  });
  expect(answer.status).toBe(204);
  return subscription;
}

async function settings(sender: Sender, change: object): Promise<Me['settings']> {
  const answer = await sender.api('PATCH', '/api/me/settings', change);
  expect(answer.status).toBe(200);
  return ((await answer.json()) as Me).settings;
}

describe('do-not-disturb', () => {
  it('pushes nothing to a closed app; once it is off, the next call does', async () => {
    const sender = await signUp(server.url);
    const deviceId = await closedDevice(sender, 'Phone', 1000);
    await sleep(OFFLINE_GRACE_MS + 500);
    const subscription = await subscribe(sender, deviceId);
    const link = await createLink(sender, { subject: 'Re: the budget' });
    expect(await settings(sender, { doNotDisturb: true })).toMatchObject({ doNotDisturb: true });

    const caller = await sockets.caller(server.url);
    const quiet = await startCall(caller, link.token);
    // What a sender on do-not-disturb gives: nothing rings, the call is over at once.
    await expect.poll(() => caller.stages).toContain('unavailable');
    expect(caller.stages).toEqual(['unavailable']);
    expect(service.attempts(subscription.id)).toEqual([]);
    // It may be over already: no ok().
    await caller.socket.emitWithAck('call:hangup', { callId: quiet.callId });

    expect(await settings(sender, { doNotDisturb: false })).toMatchObject({ doNotDisturb: false });
    const next = await sockets.caller(server.url);
    const rung = await startCall(next, link.token);
    const [ring] = await service.waitForMessages(subscription.id);
    expect(ring?.payload).toMatchObject({ type: 'ring', callId: rung.callId });
    await expect.poll(() => next.stages).toContain('ringing');
    // The quiet call's push did not come late either: the only one the push
    // service saw is this call's, sent after it through the same sender.
    expect(service.attempts(subscription.id)).toHaveLength(1);

    ok(await next.socket.emitWithAck('call:hangup', { callId: rung.callId }));
    const pushes = await service.waitForMessages(subscription.id, 2);
    expect(pushes.map((push) => push.payload)).toEqual([
      expect.objectContaining({ type: 'ring', callId: rung.callId }),
      { type: 'ring_ended', callId: rung.callId, text: 'The caller hung up' },
    ]);
    expect(service.attempts(subscription.id)).toHaveLength(2);
    expect(service.problems()).toEqual([]);
  });
});

describe('a sender with 100 closed apps', () => {
  const DEVICES = 100;
  // The shortest first stage the settings allow (T1 2 s), so that the test is
  // quick; T2 leaves stage 2 room for 99 pushes on a slow machine.
  const PLAN = { firstStageSeconds: 2, totalSeconds: 10 };

  it('rings the most recently used first, then the other 99 at once, and tells all 100 it is over', async () => {
    const sender = await signUp(server.url);
    expect(await settings(sender, { ringPlan: PLAN })).toMatchObject({ ringPlan: PLAN });
    // 99 apps last used half a minute ago, opened in parallel batches...
    const others = await inBatches(
      Array.from({ length: DEVICES - 1 }, (_, i) => `Laptop ${i + 1}`),
      20,
      (label) => closedDevice(sender, label, 30_000),
    );
    // ...and the one in use until just now.
    const favourite = await closedDevice(sender, 'Phone', 0);
    await sleep(OFFLINE_GRACE_MS + 500);
    const subscriptions = await inBatches([favourite, ...others], 20, (deviceId) =>
      subscribe(sender, deviceId),
    );
    const link = await createLink(sender, { subject: 'Re: the offsite' });

    const caller = await sockets.caller(server.url);
    const call = await startCall(caller, link.token, 'Grace');
    await expect.poll(() => caller.stages, { timeout: 15_000 }).toContain('ringing_others');
    const all = await Promise.all(
      subscriptions.map((subscription) => service.waitForMessages(subscription.id, 1, 15_000)),
    );
    expect(caller.stages).toEqual(['ringing', 'ringing_others']);

    // Stage 1: the phone alone, until T1.
    const [first] = all[0] ?? [];
    const firstUntil = (first?.payload as { ringsUntil: number }).ringsUntil;
    expect(first?.payload).toEqual({
      type: 'ring',
      callId: call.callId,
      callerName: 'Grace',
      subject: 'Re: the offsite',
      video: false,
      ringsUntil: expect.any(Number) as unknown,
    });
    expect(first?.at).toBeLessThanOrEqual(firstUntil);
    expect(first?.ttl).toBeLessThanOrEqual(PLAN.firstStageSeconds);

    // Stage 2: every other app, one ring each, all inside that stage: after
    // T1 was up (nobody else was pushed while the phone rang alone) and before T2.
    const secondUntil = firstUntil + (PLAN.totalSeconds - PLAN.firstStageSeconds) * 1000;
    const rings = all.slice(1).map((messages) => messages[0]);
    for (const ring of rings) {
      expect(ring?.payload).toEqual({ ...(first?.payload as object), ringsUntil: secondUntil });
      expect(ring?.at).toBeGreaterThanOrEqual(firstUntil);
      expect(ring?.at).toBeLessThanOrEqual(secondUntil);
      expect(ring?.ttl).toBeGreaterThanOrEqual(1);
      expect(ring?.ttl).toBeLessThanOrEqual(PLAN.totalSeconds - PLAN.firstStageSeconds);
      expect(ring?.topic).toBe(first?.topic);
    }
    const arrivals = rings.map((ring) => ring?.at ?? 0);
    console.info(
      `stage 2: 99 pushes arrived ${Math.min(...arrivals) - firstUntil}-` +
        `${Math.max(...arrivals) - firstUntil} ms after T1`,
    );

    // The caller gives up: every app that rang is told, with the ring's topic.
    ok(await caller.socket.emitWithAck('call:hangup', { callId: call.callId }));
    const ends = await Promise.all(
      subscriptions.map((subscription) => service.waitForMessages(subscription.id, 2, 15_000)),
    );
    for (const messages of ends) {
      expect(messages).toHaveLength(2);
      expect(messages[1]?.payload).toEqual({
        type: 'ring_ended',
        callId: call.callId,
        text: 'The caller hung up',
      });
      expect(messages[1]?.topic).toBe(first?.topic);
    }
    for (const subscription of subscriptions) {
      expect(service.attempts(subscription.id)).toHaveLength(2);
    }
    expect(service.problems()).toEqual([]);

    // The call's record names each of them as rung by notification.
    await expect.poll(async () => (await callHistory(sender))[0]?.ringReasons.length).toBe(DEVICES);
    const [record] = await callHistory(sender);
    expect(record?.id).toBe(call.callId);
    for (const reason of record?.ringReasons ?? []) {
      expect(reason).toMatch(/ \(installed app\): rung by notification, last input \d+ s ago$/);
    }
  });
});

// A sender's devices over HTTP, with the built server and the tests' push
// service: forgetting a closed device (its subscription goes with it, so a
// call no longer pushes to it; an open device cannot be forgotten), and
// declining a ring from a closed app's notification (the request the
// service worker sends): the call moves on at once and the ring is closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushKey } from '../../protocol/push.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import { startPushService, type PushService } from '../support/push-service.js';
import {
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
    PUSH_SERVICE_HOSTS: new URL(service.origin).host,
    RATE_LIMIT_MULTIPLIER: '20',
  });
});

afterAll(async () => {
  await server.stop();
  await service.close();
});

/** A sender with one closed desk app ("Laptop") holding a subscription on the push service. */
async function senderWithClosedApp(): Promise<{
  sender: Sender;
  deviceId: string;
  pushes: string;
}> {
  const sender = await signUp(server.url);
  const laptop = await connectDevice(server.url, sender, 'Laptop');
  await laptop.beat(1000, true);
  const { publicKey } = (await (await sender.api('GET', '/api/push/key')).json()) as PushKey;
  const subscription = service.newSubscription(publicKey);
  const stored = await sender.api('PUT', `/api/devices/${laptop.deviceId}/push`, {
    endpoint: subscription.endpoint,
    keys: subscription.keys,
  });
  expect(stored.status, await stored.text()).toBe(204);
  laptop.socket.disconnect();
  await sleep(OFFLINE_GRACE_MS + 500);
  return { sender, deviceId: laptop.deviceId, pushes: subscription.id };
}

/** The labels of the sender's devices, as a newly opened desk ("Desk") is given them. */
async function devicesOf(sender: Sender): Promise<string[]> {
  const desk = await connectDevice(server.url, sender, 'Desk');
  sockets.track(desk.socket);
  const hello = { deviceId: desk.deviceId, label: 'Desk', platform: 'test' };
  const listed = ok(await desk.socket.emitWithAck('device:hello', hello));
  return listed.map((device) => device.label);
}

describe('forgetting a device', () => {
  it('unlists a closed device and stops its notification rings; an open one is refused', async () => {
    const { sender, deviceId, pushes } = await senderWithClosedApp();
    const phone = await sockets.device(server.url, sender, 'Phone');

    const refused = await sender.api('DELETE', `/api/devices/${phone.deviceId}`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: { message: 'Phone has Voxreply open now: close it there (or sign out there) first' },
    });

    for (let i = 0; i < 2; i += 1) {
      // Idempotent: forgetting what is gone is no error.
      expect((await sender.api('DELETE', `/api/devices/${deviceId}`)).status).toBe(204);
    }
    expect(await devicesOf(sender)).toEqual(['Desk', 'Phone']);

    // The laptop had the freshest input: it would have been rung first, by push.
    const link = await createLink(sender);
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token);
    await expect.poll(() => phone.rings.map((ring) => ring.callId)).toEqual([callId]);
    await sleep(500);
    ok(await caller.socket.emitWithAck('call:hangup', { callId }));
    expect(service.attempts(pushes)).toEqual([]);
  });

  it('cannot touch another account’s device', async () => {
    const { sender: owner, deviceId, pushes } = await senderWithClosedApp();
    const stranger = await signUp(server.url);
    expect((await stranger.api('DELETE', `/api/devices/${deviceId}`)).status).toBe(204);
    expect((await stranger.api('DELETE', '/api/devices/%2e%2e')).status).toBe(404);
    // A stranger's request changed nothing: the laptop is still rung by push.
    const link = await createLink(owner);
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token);
    await service.waitForMessages(pushes);
    ok(await caller.socket.emitWithAck('call:hangup', { callId }));
  });
});

describe('declining from a notification', () => {
  it('moves the call on at once, and the device’s ring ends as declined', async () => {
    const { sender, deviceId, pushes } = await senderWithClosedApp();
    const link = await createLink(sender);
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token);
    await service.waitForMessages(pushes);

    const declined = await sender.api('POST', `/api/calls/${callId}/decline`, { deviceId });
    expect(declined.status, await declined.text()).toBe(204);
    // Nobody else to ring: the caller hears it was declined, well before the stage's end.
    await expect.poll(() => caller.stages.at(-1), { timeout: 3_000 }).toBe('declined');
    const [, ended] = await service.waitForMessages(pushes, 2);
    expect(ended?.payload).toEqual({ type: 'ring_ended', callId, text: 'Declined' });

    // Twice, or a call that no longer rings: said, not done again.
    const again = await sender.api('POST', `/api/calls/${callId}/decline`, { deviceId });
    expect([404, 409]).toContain(again.status);
  });

  it('refuses a stranger, an unknown call and a malformed request', async () => {
    const { sender, deviceId } = await senderWithClosedApp();
    const link = await createLink(sender);
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token);
    const stranger = await signUp(server.url);

    const cases: [Sender, string, unknown, number][] = [
      [stranger, callId, { deviceId }, 404],
      [sender, 'no-such-call', { deviceId }, 404],
      [sender, callId, { deviceId: 'x'.repeat(500) }, 400],
      [sender, callId, {}, 400],
    ];
    for (const [who, id, body, status] of cases) {
      const answer = await who.api('POST', `/api/calls/${id}/decline`, body);
      expect(answer.status, `${id} ${JSON.stringify(body)}`).toBe(status);
    }
    // Still ringing: nothing above declined it, as the owner's own decline shows.
    expect((await sender.api('POST', `/api/calls/${callId}/decline`, { deviceId })).status).toBe(
      204,
    );
    await expect.poll(() => caller.stages.at(-1)).toBe('declined');
  });
});

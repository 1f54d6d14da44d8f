// A desk device's push subscription, stored through the API the desk uses,
// and a call that rings that device by push while its app is closed: the
// built server (a real process) sends through its `web-push` sender to a push
// service played by the test (loopback HTTPS; the server trusts its
// certificate through NODE_EXTRA_CA_CERTS, as it would a real CA's), which
// verifies every VAPID JWT and decrypts every payload.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_HEADER } from '../../protocol/http.js';
import type { PushKey } from '../../protocol/push.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import { newSubscription, startPushService, type PushService } from '../support/push-service.js';
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

const SUBJECT = 'mailto:desk-rings@voxreply.test';
let service: PushService;
let server: RunningServer;
let publicKey: string;
const sockets = socketsPerTest();

beforeAll(async () => {
  service = await startPushService();
  server = await startServer({
    NODE_EXTRA_CA_CERTS: service.caFile,
    VAPID_SUBJECT: SUBJECT,
    // The push services the server may send to: the tests' one, and the
    // subdomains of a made-up one (stored by the API tests, never sent to).
    PUSH_SERVICE_HOSTS: `${new URL(service.origin).host}, *.push.example.net`,
    // Sign-ups are limited per address; every test here signs up.
    RATE_LIMIT_MULTIPLIER: '20',
  });
});

afterAll(async () => {
  await server.stop();
  await service.close();
});

/**
 * A sender whose devices said hello once and then closed; `closed`: waits
 * out presence's grace period, after which a call rings them only by push.
 */
async function senderWithClosedDevices(
  count: number,
  closed = true,
): Promise<{ sender: Sender; ids: string[] }> {
  const sender = await signUp(server.url);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const device = await connectDevice(server.url, sender, `Laptop ${i + 1}`);
    await device.beat(1000, true);
    device.socket.disconnect();
    ids.push(device.deviceId);
  }
  if (closed) await sleep(OFFLINE_GRACE_MS + 500);
  publicKey = ((await (await sender.api('GET', '/api/push/key')).json()) as PushKey).publicKey;
  return { sender, ids };
}

const putSubscription = (sender: Sender, deviceId: string, body: unknown) =>
  sender.api('PUT', `/api/devices/${deviceId}/push`, body);

describe('the push subscription API', () => {
  it('stores a subscription only for one of the account’s own devices', async () => {
    const { sender, ids } = await senderWithClosedDevices(1, false);
    const [deviceId = ''] = ids;
    const subscription = newSubscription(service, publicKey);
    const body = { endpoint: subscription.endpoint, keys: subscription.keys };

    expect((await putSubscription(sender, deviceId, body)).status).toBe(204);
    // Rotated by the browser: stored over the old one.
    expect((await putSubscription(sender, deviceId, body)).status).toBe(204);

    const unknown = randomBytes(12).toString('base64url');
    const answer = await putSubscription(sender, unknown, body);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      error: { code: 'not_found', message: 'no such device' },
    });
    const stranger = await signUp(server.url, 'Mallory Stranger');
    expect((await putSubscription(stranger, deviceId, body)).status).toBe(404);
  });

  it('refuses an endpoint that is not https, and keys that are not a browser’s', async () => {
    const { sender, ids } = await senderWithClosedDevices(1, false);
    const [deviceId = ''] = ids;
    const { endpoint, keys } = newSubscription(service, publicKey);
    const refusals = [
      { endpoint: endpoint.replace('https:', 'http:'), keys },
      { endpoint: 'not a url', keys },
      { endpoint, keys: { ...keys, p256dh: 'short' } },
      // The right length and prefix, but no point on the curve.
      { endpoint, keys: { ...keys, p256dh: `B${'A'.repeat(86)}` } },
      { endpoint, keys: { ...keys, auth: 'A'.repeat(24) } },
      { endpoint, keys: { ...keys, auth: '!!not base64url!!!!!!' } },
      { endpoint },
      {},
    ];
    for (const body of refusals) {
      const answer = await putSubscription(sender, deviceId, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
  });

  it('refuses an endpoint at a push service it does not send to: another host, an address, another port', async () => {
    const { sender, ids } = await senderWithClosedDevices(1, false);
    const [deviceId = ''] = ids;
    const { endpoint, keys } = newSubscription(service, publicKey);
    const port = Number(new URL(service.origin).port);
    const otherPort = port === 65535 ? port - 1 : port + 1;
    const refusals: [string, string][] = [
      // A stranger's endpoint: the server would POST wherever it pointed.
      ['https://internal.example.org/push/1', 'internal.example.org'],
      ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['https://10.0.0.1/push/1', '10.0.0.1'],
      [endpoint.replace('127.0.0.1', '[::1]'), `[::1]:${port}`],
      // The tests' push service on another port, or on 443.
      [endpoint.replace(`:${port}/`, `:${otherPort}/`), `127.0.0.1:${otherPort}`],
      [endpoint.replace(`:${port}/`, '/'), '127.0.0.1'],
      // A wildcard entry's base is not one of its subdomains.
      ['https://push.example.net/send/1', 'push.example.net'],
      // Set, PUSH_SERVICE_HOSTS replaces the browsers' push services.
      ['https://fcm.googleapis.com/fcm/send/1', 'fcm.googleapis.com'],
    ];
    for (const [refused, host] of refusals) {
      const answer = await putSubscription(sender, deviceId, { endpoint: refused, keys });
      expect(answer.status, refused).toBe(400);
      expect(await answer.json()).toEqual({
        error: {
          code: 'bad_request',
          message: `this push service is not one Voxreply sends to: ${host}`,
        },
      });
    }

    // A subdomain of an allowed wildcard entry, and the tests' push service, are stored.
    const subdomain = { endpoint: 'https://eu-west.push.example.net/send/1', keys };
    expect((await putSubscription(sender, deviceId, subdomain)).status).toBe(204);
    expect((await putSubscription(sender, deviceId, { endpoint, keys })).status).toBe(204);
  });

  it('refuses all of it without a session', async () => {
    const { endpoint, keys } = newSubscription(service);
    const deviceId = randomBytes(12).toString('base64url');
    for (const [method, path, body] of [
      ['GET', '/api/push/key', undefined],
      ['PUT', `/api/devices/${deviceId}/push`, JSON.stringify({ endpoint, keys })],
      ['DELETE', `/api/devices/${deviceId}/push`, undefined],
    ] as const) {
      const answer = await fetch(`${server.url}${path}`, {
        method,
        headers: { [REQUEST_HEADER]: '1', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
      expect(answer.status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('a call rings a closed desk app by push', () => {
  it('sends the ring, then its end when the caller hangs up; nothing that lets anyone join', async () => {
    const { sender, ids } = await senderWithClosedDevices(1);
    const [deviceId = ''] = ids;
    const subscription = newSubscription(service, publicKey);
    const body = { endpoint: subscription.endpoint, keys: subscription.keys };
    expect((await putSubscription(sender, deviceId, body)).status).toBe(204);
    const link = await createLink(sender, { subject: 'Re: the compiler' });

    const caller = await sockets.caller(server.url);
    const started = await startCall(caller, link.token, 'Grace');
    const [rang] = await service.waitForMessages(subscription.id);
    expect(rang?.payload).toEqual({
      type: 'ring',
      callId: started.callId,
      callerName: 'Grace',
      subject: 'Re: the compiler',
      video: false,
      ringsUntil: expect.any(Number) as unknown,
    });
    expect(rang?.urgency).toBe('high');
    // The push service keeps it no longer than the ring lasts (T1 6 s, T2 25 s).
    expect(rang?.ttl).toBeGreaterThan(0);
    expect(rang?.ttl).toBeLessThanOrEqual(25);
    expect(rang?.vapid).toMatchObject({ sub: SUBJECT, aud: service.origin, publicKey });
    expect(rang?.text).not.toContain(link.token);

    ok(await caller.socket.emitWithAck('call:hangup', { callId: started.callId }));
    const [, ended] = await service.waitForMessages(subscription.id, 2);
    expect(ended?.payload).toEqual({
      type: 'ring_ended',
      callId: started.callId,
      text: 'The caller hung up',
    });
    expect(ended?.topic).toBe(rang?.topic);
    expect(service.problems()).toEqual([]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^voxreply_push_sent_total\{result="accepted"\} [1-9]/m);
  });

  it('rings the subscription the device stored last, and none once it is removed', async () => {
    const { sender, ids } = await senderWithClosedDevices(1);
    const [deviceId = ''] = ids;
    const old = newSubscription(service, publicKey);
    const rotated = newSubscription(service, publicKey);
    await putSubscription(sender, deviceId, { endpoint: old.endpoint, keys: old.keys });
    await putSubscription(sender, deviceId, { endpoint: rotated.endpoint, keys: rotated.keys });
    const link = await createLink(sender);

    const first = await sockets.caller(server.url);
    const call = await startCall(first, link.token);
    await service.waitForMessages(rotated.id);
    ok(await first.socket.emitWithAck('call:hangup', { callId: call.callId }));
    await service.waitForMessages(rotated.id, 2);
    expect(service.attempts(old.id)).toEqual([]);

    for (let i = 0; i < 2; i += 1) {
      // Idempotent: removing what is gone is no error.
      expect((await sender.api('DELETE', `/api/devices/${deviceId}/push`)).status).toBe(204);
    }
    const second = await sockets.caller(server.url);
    const unrung = await startCall(second, link.token);
    await sleep(1000);
    // Nobody to ring: the call may be over already (unavailable), so no ok().
    await second.socket.emitWithAck('call:hangup', { callId: unrung.callId });
    await sleep(300);
    expect(service.attempts(rotated.id)).toHaveLength(2);
  });

  it('removes a subscription the push service says is gone (410)', async () => {
    const { sender, ids } = await senderWithClosedDevices(1);
    const [deviceId = ''] = ids;
    const subscription = newSubscription(service, publicKey);
    await putSubscription(sender, deviceId, {
      endpoint: subscription.endpoint,
      keys: subscription.keys,
    });
    service.failNext(subscription.id, 410);
    const link = await createLink(sender);

    const first = await sockets.caller(server.url);
    const call = await startCall(first, link.token);
    for (let waited = 0; service.attempts(subscription.id).length === 0; waited += 50) {
      if (waited > 10_000) throw new Error('no push was attempted');
      await sleep(50);
    }
    expect(service.attempts(subscription.id)[0]?.status).toBe(410);
    await first.socket.emitWithAck('call:hangup', { callId: call.callId });
    await sleep(500);
    const before = service.attempts(subscription.id).length;

    const second = await sockets.caller(server.url);
    const again = await startCall(second, link.token);
    await sleep(1000);
    await second.socket.emitWithAck('call:hangup', { callId: again.callId });
    await sleep(300);
    expect(service.attempts(subscription.id)).toHaveLength(before);
    expect(service.messages(subscription.id)).toEqual([]);
  });
});

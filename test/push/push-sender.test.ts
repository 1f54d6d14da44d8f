// The Web Push sender in this process, over the real subscription store
// (SQLite, migrated as the server does) and a real push service on loopback
// HTTPS (test/support/push-service.ts), which verifies each push's VAPID JWT
// and decrypts it with the subscription's private key.
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { DeskPush } from '../../protocol/push.js';
import { createLogger } from '../../server/logger.js';
import { PushSender, type PushSendLimits } from '../../server/push/push-sender.js';
import { VapidTokens } from '../../server/push/vapid-tokens.js';
import { AccountStore } from '../../server/store/account-store.js';
import { migrateToLatest, openDatabase, storeLocation } from '../../server/store/database.js';
import { DeviceStore } from '../../server/store/device-store.js';
import { PushSubscriptionStore } from '../../server/store/push-subscription-store.js';
import type { Database } from '../../server/store/schema.js';
import { sleep } from '../support/sender.js';
import {
  newSubscription,
  startPushService,
  verifyVapid,
  type PushService,
  type TestSubscription,
} from '../support/push-service.js';

const SUBJECT = 'mailto:postmaster@voxreply.test';
const keys = webpush.generateVAPIDKeys();
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-push-sender-'));
let service: PushService;
let agent: https.Agent;
let db: Kysely<Database>;
let subscriptions: PushSubscriptionStore;
let accountId: number;
const senders: PushSender[] = [];

beforeAll(async () => {
  service = await startPushService();
  // This process trusts the receiver's certificate through its agent; the
  // server process does through NODE_EXTRA_CA_CERTS (push-calls.test.ts).
  agent = new https.Agent({ ca: service.ca, keepAlive: true });
  db = openDatabase(storeLocation(dataDir, undefined));
  await migrateToLatest(db);
  subscriptions = new PushSubscriptionStore(db);
});

afterAll(async () => {
  agent.destroy();
  await service.close();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  const account = await new AccountStore(db).register({
    email: `ada.${Date.now()}.${Math.random()}@example.org`,
    displayName: 'Ada',
    passwordHash: 'unused',
  });
  accountId = account.id;
});

afterEach(() => {
  for (const sender of senders.splice(0)) sender.close();
});

function sender(limits: Partial<PushSendLimits> = {}, through = agent): PushSender {
  const made = new PushSender({
    subscriptions,
    vapid: { ...keys, subject: SUBJECT },
    logger: createLogger('silent'),
    agent: through,
    limits,
  });
  senders.push(made);
  return made;
}

let devices = 0;
/** A device of the account with a subscription on the push service (as the desk stores one). */
async function subscribedDevice(
  on = service,
): Promise<{ deviceId: string; subscription: TestSubscription }> {
  devices += 1;
  const deviceId = `device-${String(devices).padStart(12, '0')}`;
  await new DeviceStore(db).upsert(accountId, {
    deviceId,
    label: `Laptop ${devices}`,
    platform: '',
  });
  const subscription = newSubscription(on, keys.publicKey);
  await subscriptions.put(accountId, deviceId, subscription);
  return { deviceId, subscription };
}

const ring = (callId: string): DeskPush => ({
  type: 'ring',
  callId,
  callerName: 'Grace Hopper',
  subject: 'Re: the compiler',
  video: false,
  ringsUntil: Date.now() + 6000,
});

async function sentCount(push: PushSender, result: string): Promise<number> {
  const metric = await push.sent.get();
  return metric.values.find((value) => value.labels.result === result)?.value ?? 0;
}

describe('the push sender', () => {
  it('delivers a ring a push service accepts: signed, encrypted, high urgency, TTL and topic', async () => {
    const push = sender();
    const { deviceId, subscription } = await subscribedDevice();
    const sent = ring('call-one-with-an-id-longer-than-a-topic-may-be');

    push.send(accountId, [deviceId], sent, { ttlSeconds: 6, topic: sent.callId });
    const [message] = await service.waitForMessages(subscription.id);

    expect(message?.payload).toEqual(sent);
    expect(message?.vapid).toMatchObject({ aud: service.origin, sub: SUBJECT });
    expect(message?.vapid.publicKey).toBe(keys.publicKey);
    expect(message?.vapid.exp).toBeGreaterThan(Date.now() / 1000);
    expect(message?.ttl).toBe(6);
    expect(message?.urgency).toBe('high');
    expect(message?.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(service.problems()).toEqual([]);
    await push.settled();
    expect(await sentCount(push, 'accepted')).toBe(1);
  });

  it('signs one VAPID token per push service and reuses it; another service gets its own', async () => {
    const other = await startPushService();
    const both = new https.Agent({ ca: [service.ca, other.ca], keepAlive: true });
    try {
      const push = sender({}, both);
      const [a, b, elsewhere] = [
        await subscribedDevice(),
        await subscribedDevice(),
        await subscribedDevice(other),
      ];
      push.send(accountId, [a.deviceId, b.deviceId, elsewhere.deviceId], ring('call-t'), {
        ttlSeconds: 6,
        topic: 'call-t',
      });
      const [first] = await service.waitForMessages(a.subscription.id);
      const [second] = await service.waitForMessages(b.subscription.id);
      const [third] = await other.waitForMessages(elsewhere.subscription.id);
      push.send(accountId, [a.deviceId], ring('call-u'), { ttlSeconds: 6, topic: 'call-u' });
      const [, later] = await service.waitForMessages(a.subscription.id, 2);

      // The service verified each (signature by k, aud, exp, sub): the same token, valid.
      expect(service.problems()).toEqual([]);
      expect(other.problems()).toEqual([]);
      expect(second?.vapid.token).toBe(first?.vapid.token);
      expect(later?.vapid.token).toBe(first?.vapid.token);
      // Valid for 12 hours from when it was made.
      expect(first?.vapid.exp).toBeGreaterThan(Date.now() / 1000 + 12 * 3600 - 60);
      expect(third?.vapid.aud).toBe(other.origin);
      expect(third?.vapid.token).not.toBe(first?.vapid.token);
    } finally {
      both.destroy();
      await other.close();
    }
  });

  it('gives the end of a ring the ring’s topic, and another call another topic', async () => {
    const push = sender();
    const { deviceId, subscription } = await subscribedDevice();
    push.send(accountId, [deviceId], ring('call-a'), { ttlSeconds: 6, topic: 'call-a' });
    await push.settled();
    const ended: DeskPush = { type: 'ring_ended', callId: 'call-a', text: 'The caller hung up' };
    push.send(accountId, [deviceId], ended, { ttlSeconds: 60, topic: 'call-a' });
    await push.settled();
    push.send(accountId, [deviceId], ring('call-b'), { ttlSeconds: 6, topic: 'call-b' });
    const [first, second, third] = await service.waitForMessages(subscription.id, 3);

    expect(second?.payload).toEqual(ended);
    expect(second?.ttl).toBe(60);
    expect(second?.topic).toBe(first?.topic);
    expect(third?.topic).not.toBe(first?.topic);
  });

  it('sends to each device named, and only to those', async () => {
    const push = sender();
    const [a, b, c] = [
      await subscribedDevice(),
      await subscribedDevice(),
      await subscribedDevice(),
    ];
    push.send(accountId, [a.deviceId, c.deviceId], ring('call-ac'), {
      ttlSeconds: 6,
      topic: 'call-ac',
    });
    await push.settled();

    expect(service.messages(a.subscription.id)).toHaveLength(1);
    expect(service.messages(b.subscription.id)).toHaveLength(0);
    expect(service.messages(c.subscription.id)).toHaveLength(1);
    expect(await push.subscribedDevices(accountId)).toEqual(
      new Set([a.deviceId, b.deviceId, c.deviceId]),
    );
  });

  it.each([410, 404] as const)(
    'removes a subscription the push service answers %i for, and sends it nothing more',
    async (status) => {
      const push = sender();
      const gone = await subscribedDevice();
      const kept = await subscribedDevice();
      service.failNext(gone.subscription.id, status);

      push.send(accountId, [gone.deviceId, kept.deviceId], ring('call-gone'), {
        ttlSeconds: 6,
        topic: 'call-gone',
      });
      await push.settled();

      expect(service.attempts(gone.subscription.id).map((attempt) => attempt.status)).toEqual([
        status,
      ]);
      expect(await push.subscribedDevices(accountId)).toEqual(new Set([kept.deviceId]));
      push.send(accountId, [gone.deviceId], ring('call-again'), { ttlSeconds: 6, topic: 'x' });
      await push.settled();
      expect(service.attempts(gone.subscription.id)).toHaveLength(1);
      expect(service.messages(kept.subscription.id)).toHaveLength(1);
    },
  );

  it('leaves a push service alone for its Retry-After after a 429, then sends again', async () => {
    const push = sender();
    const limited = await subscribedDevice();
    const other = await subscribedDevice();
    service.failNext(limited.subscription.id, 429, 1);

    push.send(accountId, [limited.deviceId], ring('call-429'), { ttlSeconds: 6, topic: 'a' });
    await push.settled();
    const pausedAt = Date.now();
    // The same service (one origin) for another device: dropped while paused.
    push.send(accountId, [other.deviceId], ring('call-paused'), { ttlSeconds: 6, topic: 'b' });
    await push.settled();
    expect(Date.now() - pausedAt).toBeLessThan(900);
    expect(service.attempts(other.subscription.id)).toEqual([]);
    expect(await sentCount(push, 'backed_off')).toBe(1);

    await sleep(1100);
    push.send(accountId, [other.deviceId, limited.deviceId], ring('call-after'), {
      ttlSeconds: 6,
      topic: 'c',
    });
    await push.settled();
    expect(service.messages(other.subscription.id)).toHaveLength(1);
    // A 429 does not remove the subscription.
    expect(service.messages(limited.subscription.id)).toHaveLength(1);
    expect(service.problems()).toEqual([]);
  });

  it('never throws at the caller: an unreachable push service is logged and skipped', async () => {
    const push = sender({ timeoutMs: 2000 });
    const reachable = await subscribedDevice();
    const deviceId = 'device-unreachable-01';
    await new DeviceStore(db).upsert(accountId, { deviceId, label: 'Old phone', platform: '' });
    // A closed port on loopback: the connection is refused.
    const dead = { ...newSubscription(service), endpoint: 'https://127.0.0.1:1/push/nothing' };
    await subscriptions.put(accountId, deviceId, dead);

    expect(() =>
      push.send(accountId, [deviceId, reachable.deviceId, 'no-such-device-000'], ring('call-x'), {
        ttlSeconds: 6,
        topic: 'call-x',
      }),
    ).not.toThrow();
    await push.settled();

    expect(service.messages(reachable.subscription.id)).toHaveLength(1);
    expect(await sentCount(push, 'failed')).toBe(1);
    // A network failure is not the push service saying the subscription is gone.
    expect(await push.subscribedDevices(accountId)).toContain(deviceId);
  });

  it('lets a newer push of a call replace its waiting ring, so an ended call never rings', async () => {
    const push = sender({ inFlight: 1 });
    const { deviceId, subscription } = await subscribedDevice();
    push.send(accountId, [deviceId], ring('call-first'), { ttlSeconds: 6, topic: 'call-first' });
    push.send(accountId, [deviceId], ring('call-late'), { ttlSeconds: 6, topic: 'call-late' });
    const ended: DeskPush = { type: 'ring_ended', callId: 'call-late', text: 'Answered on Laptop' };
    push.send(accountId, [deviceId], ended, { ttlSeconds: 60, topic: 'call-late' });
    await push.settled();

    const payloads = service.messages(subscription.id).map((message) => message.payload);
    expect(payloads).toEqual([ring('call-first'), ended].map(withoutTime));
    expect(await sentCount(push, 'replaced')).toBe(1);
  });

  it('bounds what waits: past its queue a send is dropped and counted, not kept', async () => {
    const push = sender({ inFlight: 1, queued: 3 });
    const many = [];
    for (let i = 0; i < 8; i += 1) many.push(await subscribedDevice());
    const ids = many.map((device) => device.deviceId);
    push.send(accountId, ids, ring('call-flood'), { ttlSeconds: 6, topic: 'call-flood' });
    await push.settled();

    const delivered = many.filter((device) => service.messages(device.subscription.id).length);
    // One in flight (the first) and three waiting; the other four dropped.
    expect(delivered).toHaveLength(4);
    expect(await sentCount(push, 'dropped')).toBe(4);
  });
});

/** ring() stamps ringsUntil: compare what matters. */
function withoutTime(push: DeskPush): unknown {
  return push.type === 'ring' ? { ...push, ringsUntil: expect.any(Number) as unknown } : push;
}

describe('VAPID tokens', () => {
  const vapid = { ...keys, subject: SUBJECT };
  /** Its claims, once the tests' push service at `audience` has verified it (signature, aud, exp, sub). */
  const claims = (authorization: string, audience: string) => {
    const verified = verifyVapid(authorization, audience);
    expect(verified.publicKey).toBe(keys.publicKey);
    return verified;
  };

  it('keeps a token until less than an hour of its 12 is left, then makes a new one', () => {
    // web-push checks exp against the real clock (at most 24 h on): start from it.
    const start = Date.now();
    let now = start;
    const tokens = new VapidTokens(vapid, { now: () => now });
    const first = tokens.authorization('https://push.example');
    expect(claims(first, 'https://push.example')).toMatchObject({
      aud: 'https://push.example',
      exp: Math.floor(start / 1000) + 12 * 3600,
    });

    now = start + 10.5 * 3600_000;
    expect(tokens.authorization('https://push.example')).toBe(first);
    now = start + 11 * 3600_000 + 1000;
    const renewed = tokens.authorization('https://push.example');
    expect(renewed).not.toBe(first);
    expect(claims(renewed, 'https://push.example').exp).toBe(Math.floor(now / 1000) + 12 * 3600);
  });

  it('remembers a bounded number of push services, forgetting the least recently used', () => {
    const tokens = new VapidTokens(vapid, { maxOrigins: 2 });
    const a = tokens.authorization('https://a.example');
    const b = tokens.authorization('https://b.example');
    expect(tokens.authorization('https://a.example')).toBe(a);
    tokens.authorization('https://c.example');

    expect(tokens.size).toBe(2);
    expect(tokens.authorization('https://a.example')).toBe(a);
    // b was the least recently used: forgotten, so signed anew (ES256 signatures differ).
    const b2 = tokens.authorization('https://b.example');
    expect(b2).not.toBe(b);
    expect(claims(b2, 'https://b.example').aud).toBe('https://b.example');
  });
});

// The tests' push service refuses what a real one would: the push sender's
// tests pass only because what it sends is right, not because the receiver
// takes anything. Each request is made by web-push and then spoiled in one way.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { newSubscription, startPushService, type PushService } from '../support/push-service.js';

const SUBJECT = 'mailto:postmaster@voxreply.test';
const keys = webpush.generateVAPIDKeys();
const otherKeys = webpush.generateVAPIDKeys();
let service: PushService;

beforeAll(async () => {
  service = await startPushService();
});

afterAll(async () => {
  await service.close();
});

type Details = ReturnType<typeof webpush.generateRequestDetails>;

/** web-push's request for `subscription`, with `vapidKeys` (default: the subscription's own). */
function details(
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
  options: { vapidKeys?: typeof keys; topic?: string } = {},
): Details {
  return webpush.generateRequestDetails(subscription, '{"type":"ring"}', {
    vapidDetails: { subject: SUBJECT, ...(options.vapidKeys ?? keys) },
    TTL: 10,
    urgency: 'high',
    ...(options.topic === undefined ? {} : { topic: options.topic }),
  });
}

/** POSTs `request` to `endpoint`; the status the service answers. */
function post(endpoint: string, request: Details): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = https.request(
      endpoint,
      { method: 'POST', headers: request.headers, ca: service.ca },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    sent.on('error', reject);
    sent.end(request.body);
  });
}

describe('the tests’ push service', () => {
  it('accepts a well-made push and decrypts it', async () => {
    const subscription = newSubscription(service, keys.publicKey);
    expect(await post(subscription.endpoint, details(subscription))).toBe(201);
    expect(service.messages(subscription.id)[0]?.payload).toEqual({ type: 'ring' });
  });

  it('refuses a push signed with a key the subscription was not made with', async () => {
    const subscription = newSubscription(service, keys.publicKey);
    const request = details(subscription, { vapidKeys: otherKeys });
    expect(await post(subscription.endpoint, request)).toBe(403);
  });

  it('refuses a JWT whose signature is not by k', async () => {
    const subscription = newSubscription(service);
    const request = details(subscription);
    const forged = details(subscription, { vapidKeys: otherKeys }).headers.Authorization ?? '';
    request.headers.Authorization = forged.replace(/k=.*$/, `k=${keys.publicKey}`);
    expect(await post(subscription.endpoint, request)).toBe(403);
  });

  it('refuses a JWT for another audience', async () => {
    const subscription = newSubscription(service);
    const elsewhere = { ...subscription, endpoint: 'https://push.example/push/x' };
    expect(await post(subscription.endpoint, details(elsewhere))).toBe(403);
  });

  it('refuses an expired JWT', async () => {
    const subscription = newSubscription(service);
    const request = details(subscription);
    const expired = webpush.getVapidHeaders(
      service.origin,
      SUBJECT,
      keys.publicKey,
      keys.privateKey,
      'aes128gcm',
      Math.floor(Date.now() / 1000) - 60,
    );
    request.headers.Authorization = expired.Authorization;
    expect(await post(subscription.endpoint, request)).toBe(403);
  });

  it('refuses a payload it cannot decrypt with the subscription’s key', async () => {
    const subscription = newSubscription(service);
    const someoneElse = newSubscription(service);
    const request = details({ ...someoneElse, endpoint: subscription.endpoint });
    expect(await post(subscription.endpoint, request)).toBe(400);
  });

  it('refuses a topic longer than 32 characters, or without TTL', async () => {
    const subscription = newSubscription(service);
    const long = details(subscription);
    long.headers.Topic = 'a'.repeat(33);
    expect(await post(subscription.endpoint, long)).toBe(400);
    const timeless = details(subscription);
    delete timeless.headers.TTL;
    expect(await post(subscription.endpoint, timeless)).toBe(400);
    expect(service.messages(subscription.id)).toEqual([]);
  });
});

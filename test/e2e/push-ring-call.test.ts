// A call that finds a sender whose laptop app is closed, end to end with
// real parts: the built server sends Web Push to the tests' push service
// (VAPID checked, payload decrypted, as a browser's push service would
// receive it); the test hands what arrived to the laptop's real Chromium
// through the DevTools protocol (no browser's push service can be reached
// from here), whose service worker shows the ring. The laptop had the fresh
// input before it closed, so it is rung first, by notification; the sender's
// other computer, connected but idle for ten minutes, only after T1. Answer
// on the notification opens the desk, which answers: tones flow both ways,
// and the history says why each device rang when it did. Decline on the
// notification moves the call on at once.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskPush, PushKey } from '../../protocol/push.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import { CALLER_HZ, SENDER_HZ } from '../support/browser-call.js';
import { launchChromium } from '../support/chromium.js';
import {
  launchAppBrowser,
  pressNotification,
  pushDeliverer,
  shownNotifications,
  waitForWorkerControl,
  type AppBrowser,
} from '../support/installed-app.js';
import { expectTone } from '../support/media-probe.js';
import {
  startPushService,
  type PushService,
  type TestSubscription,
} from '../support/push-service.js';
import {
  callHistory,
  connectDevice,
  createLink,
  signUp,
  sleep,
  type Sender,
  type TestDevice,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

const LAPTOP_ID = 'laptop-installed-app-0001';
const SHOWN = { timeout: 5_000, interval: 300 };
let service: PushService;
let server: RunningServer;
let sender: Sender;
let laptop: AppBrowser;
/** A page of the server's origin outside the desk (the app itself is closed). */
let laptopTab: Page;
let deliver: (message: object) => Promise<void>;
let subscription: TestSubscription;
let deskPc: TestDevice;
let callerBrowser: Browser;

beforeAll(async () => {
  service = await startPushService();
  server = await startServer({
    NODE_EXTRA_CA_CERTS: service.caFile,
    PUSH_SERVICE_HOSTS: new URL(service.origin).host,
    RATE_LIMIT_MULTIPLIER: '20',
  });
  sender = await signUp(server.url, 'Ada Lovelace');
  callerBrowser = await launchChromium({ microphoneWav: toneWav(CALLER_HZ) });
  laptop = await launchAppBrowser(server.url, sender.cookie, {
    microphoneWav: toneWav(SENDER_HZ),
  });
  await laptop.context.grantPermissions(['notifications'], { origin: server.url });
  await laptop.context.addInitScript((id) => {
    localStorage.setItem('voxreply.deviceId', id);
    localStorage.setItem('voxreply.deviceLabel', 'Laptop');
  }, LAPTOP_ID);
  laptopTab = await laptop.context.newPage();
  await laptopTab.goto(`${server.url}/healthz`);
  await closedLaptopApp();
  deliver = await pushDeliverer(laptopTab);
});

afterAll(async () => {
  deskPc.socket.disconnect();
  await laptop.close();
  await callerBrowser.close();
  await server.stop();
  await service.close();
});

/**
 * The laptop's desk app is used (real input), holds a push subscription
 * (stored through the API the desk uses; this Chromium cannot subscribe), and
 * is closed. The sender's other computer stays connected, idle ten minutes.
 */
async function closedLaptopApp(): Promise<void> {
  const desk = await laptop.context.newPage();
  await desk.goto(`${server.url}/app`);
  await waitForWorkerControl(desk);
  await desk.locator('#connection[data-connection-state="connected"]').waitFor();
  await desk.mouse.move(20, 20);
  await desk.mouse.move(80, 60);
  await sleep(500);
  await desk.close();
  const { publicKey } = (await (await sender.api('GET', '/api/push/key')).json()) as PushKey;
  subscription = service.newSubscription(publicKey);
  await storeSubscription();

  // Connected for the whole file (socketsPerTest's close after each test).
  deskPc = await connectDevice(server.url, sender, 'Desk PC');
  await deskPc.beat(10 * 60_000, false);
  await sleep(OFFLINE_GRACE_MS + 500);
}

/**
 * Stores the laptop's subscription as its desk does. Again after each time
 * the desk opened: finding no subscription in this browser (it cannot make
 * one), the desk has the server forget it.
 */
async function storeSubscription(): Promise<void> {
  const stored = await sender.api('PUT', `/api/devices/${LAPTOP_ID}/push`, {
    endpoint: subscription.endpoint,
    keys: subscription.keys,
  });
  expect(stored.status, await stored.text()).toBe(204);
}

/** The caller's reply page presses Call; resolves with the ring the laptop was pushed. */
async function callFromReplyPage(): Promise<{ page: Page; ring: DeskPush & { type: 'ring' } }> {
  const link = await createLink(sender, { recipientName: 'Grace', subject: 'Q3 plan' });
  const page = await callerBrowser.newPage();
  await page.goto(`${server.url}/r/${link.token}`);
  const before = service.messages(subscription.id).length;
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  const received = await service.waitForMessages(subscription.id, before + 1);
  const ring = received.at(-1)?.payload as DeskPush;
  if (ring.type !== 'ring') throw new Error(`not a ring: ${JSON.stringify(ring)}`);
  return { page, ring };
}

describe('a sender whose laptop app is closed', () => {
  it('is rung there first by notification, then on the idle computer; answers from the notification', async () => {
    const { page: caller, ring } = await callFromReplyPage();
    // The closed laptop first: the connected computer has not rung yet.
    expect(ring).toMatchObject({ callerName: 'Grace', subject: 'Q3 plan', video: false });
    expect(deskPc.rings).toEqual([]);
    await deliver(ring);
    await expect
      .poll(async () => (await shownNotifications(laptopTab)).map((shown) => shown.title), SHOWN)
      .toEqual(['Grace is calling']);

    // T1 later, the other computer rings too.
    await expect
      .poll(() => deskPc.rings.map((rung) => rung.callId), { timeout: 15_000 })
      .toEqual([ring.callId]);

    // No desk is open: the worker asks for one, at the address that answers this call.
    const pressed = await pressNotification(laptop.context, ring.callId, 'answer');
    expect(pressed).toEqual({
      opened: [`${server.url}/app?answer=${ring.callId}`],
      refused: ['Not allowed to open a window.'],
    });
    const desk = await laptop.context.newPage();
    await desk.goto(pressed.opened[0] ?? '');
    await expect
      .poll(() => desk.locator('#in-call-title').textContent(), { timeout: 15_000 })
      .toBe('In a call with Grace');
    await expect.poll(() => caller.locator('#call-status').textContent()).toContain('Connected');
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    await expect
      .poll(() => deskPc.ringEnds.map((ended) => ended.reason))
      .toEqual(['answered_elsewhere']);

    await desk.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(async () => (await callHistory(sender))[0]?.outcome).toBe('answered');
    const [record] = await callHistory(sender);
    // In the order they rang.
    expect(record?.ringReasons).toEqual([
      expect.stringMatching(
        /^Laptop \(installed app\): rung by notification, last input \d+ s ago$/,
      ),
      'Desk PC: input 10 min ago, in the background',
    ]);
    await desk.close();
    await caller.close();
  });

  it('declines from the notification: the call moves on at once', async () => {
    await sleep(OFFLINE_GRACE_MS + 500);
    await storeSubscription();
    const before = deskPc.rings.length;
    const { page: caller, ring } = await callFromReplyPage();
    await deliver(ring);
    await expect.poll(async () => (await shownNotifications(laptopTab)).length, SHOWN).toBe(1);

    expect(await pressNotification(laptop.context, ring.callId, 'decline')).toEqual({
      opened: [],
      refused: [],
    });
    // The next device rings before the laptop's stage would have run out.
    await expect.poll(() => deskPc.rings.length).toBe(before + 1);
    expect(Date.now()).toBeLessThan(ring.ringsUntil);
    expect(await shownNotifications(laptopTab)).toEqual([]);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await caller.close();
  });

  it('sends a subscription the browser renewed while the app is closed', async () => {
    await sleep(OFFLINE_GRACE_MS + 500);
    await storeSubscription();
    const old = subscription;
    subscription = service.newSubscription(
      ((await (await sender.api('GET', '/api/push/key')).json()) as PushKey).publicKey,
    );
    expect(await renewInWorker(old, subscription)).toEqual({ unsubscribed: false });

    const before = service.messages(old.id).length;
    const { page: caller, ring } = await callFromReplyPage();
    expect(ring.callerName).toBe('Grace');
    expect(service.messages(old.id)).toHaveLength(before);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await caller.close();
  });

  it('keeps notification rings off when they were turned off before the renewal', async () => {
    expect((await sender.api('DELETE', `/api/devices/${LAPTOP_ID}/push`)).status).toBe(204);
    const renewed = service.newSubscription(
      ((await (await sender.api('GET', '/api/push/key')).json()) as PushKey).publicKey,
    );
    // The server refuses to store it, and the worker drops it from the browser.
    expect(await renewInWorker(subscription, renewed)).toEqual({ unsubscribed: true });
  });
});

/**
 * What Chromium fires when its push service replaced `old` with `renewed`
 * (dispatched: no DevTools command rotates a subscription); resolves once the
 * worker had time to send it, with whether it dropped the new one.
 */
async function renewInWorker(
  old: TestSubscription,
  renewed: TestSubscription,
): Promise<{ unsubscribed: boolean }> {
  const [worker] = laptop.context.serviceWorkers();
  if (!worker) throw new Error('no service worker');
  return worker.evaluate(
    async ([before, after]) => {
      const scope = self as unknown as { ExtendableEvent: new (type: string) => Event };
      const change = new scope.ExtendableEvent('pushsubscriptionchange');
      const outcome = { unsubscribed: false };
      const fresh = {
        endpoint: after.endpoint,
        toJSON: () => after,
        unsubscribe: () => {
          outcome.unsubscribed = true;
          return Promise.resolve(true);
        },
      };
      Object.defineProperty(change, 'oldSubscription', { value: { endpoint: before } });
      Object.defineProperty(change, 'newSubscription', { value: fresh });
      self.dispatchEvent(change);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return outcome;
    },
    [old.endpoint, { endpoint: renewed.endpoint, keys: renewed.keys }] as const,
  );
}

// Rings by push, the browser's end (issue 18, "Push rings"), in a real
// Chromium: the desk's service worker gets pushes through the DevTools
// protocol (no push service can be reached from here), shows a ring as a
// notification with Answer and Decline, takes it away when the ring ends, and
// shows nothing for a ring already over; Answer on it answers in the desk; a
// desk opened at /app?answer=<call> answers that call, or says what became of
// it; and where the browser cannot subscribe, the desk says so and works on.
import { createECDH, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import {
  launchAppBrowser,
  pressNotification,
  pushDeliverer,
  shownNotifications,
  waitForWorkerControl,
  type AppBrowser,
} from '../support/installed-app.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import {
  connectDevice,
  createLink,
  ok,
  signUp,
  socketsPerTest,
  startCall,
  type Sender,
} from '../support/sender.js';

let server: RunningServer;
let sender: Sender;
let app: AppBrowser;
let desk: Page;
let deliver: (message: object) => Promise<void>;
const sockets = socketsPerTest();

beforeAll(async () => {
  server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    // The devices list stores subscriptions there (nothing is sent to it).
    PUSH_SERVICE_HOSTS: 'push.example.net',
  });
  sender = await signUp(server.url, 'Ada Lovelace');
  app = await launchAppBrowser(server.url, sender.cookie);
  await app.context.grantPermissions(['notifications'], { origin: server.url });
  desk = await app.context.newPage();
  await desk.goto(`${server.url}/app`);
  await waitForWorkerControl(desk);
  deliver = await pushDeliverer(desk);
});

afterAll(async () => {
  await app.close();
  await server.stop();
});

const inAMinute = () => Date.now() + 60_000;
/**
 * A notification can take a while to show on a busy machine; and looking
 * seldom keeps clear of Chromium's race (see PUSH_SETTLE_MS in installed-app.ts).
 */
const SHOWN = { timeout: 5_000, interval: 300 };

/** The notifications shown for one call. */
async function notificationsOf(callId: string) {
  return (await shownNotifications(desk)).filter((shown) => shown.tag === callId);
}

describe('the service worker', () => {
  it('shows a ring as a notification with Answer and Decline, and ends it when told', async () => {
    const ringsUntil = inAMinute();
    await deliver({
      type: 'ring',
      callId: 'call-1',
      callerName: 'Grace Hopper',
      subject: 'Q3 plan',
      video: false,
      ringsUntil,
    });
    await expect
      .poll(() => notificationsOf('call-1'), SHOWN)
      .toEqual([
        {
          title: 'Grace Hopper is calling',
          body: 'Q3 plan',
          tag: 'call-1',
          requireInteraction: true,
          actions: ['answer:Answer', 'decline:Decline'],
          data: { callId: 'call-1', ringsUntil, callerName: 'Grace Hopper', subject: 'Q3 plan' },
        },
      ]);

    await deliver({ type: 'ring_ended', callId: 'call-1', text: 'Answered on Laptop' });
    // The ring gives way to a quiet line saying why, with nothing left to press.
    await expect
      .poll(() => notificationsOf('call-1'), SHOWN)
      .toMatchObject([
        {
          title: 'Answered on Laptop',
          body: 'Grace Hopper: Q3 plan',
          requireInteraction: false,
          actions: [],
        },
      ]);
  });

  it('shows nothing for a ring whose stage is over', async () => {
    await deliver({
      type: 'ring',
      callId: 'call-stale',
      callerName: 'Grace Hopper',
      subject: null,
      video: false,
      ringsUntil: Date.now() - 1000,
    });
    await deliver({
      type: 'ring',
      callId: 'call-fresh',
      callerName: 'Alan Turing',
      subject: null,
      video: true,
      ringsUntil: inAMinute(),
    });
    // Pushes reach the worker in order: once the second shows, the first was handled.
    await expect
      .poll(() => notificationsOf('call-fresh'), SHOWN)
      .toMatchObject([{ title: 'Alan Turing is calling with video', body: 'Reply by voice' }]);
    expect(await notificationsOf('call-stale')).toEqual([]);
    // Not a ring at all: ignored.
    await deliver({ type: 'ring_ended', callId: 'call-never-rang', text: 'The caller hung up.' });
    await deliver({ hello: 'world' });
    expect(await notificationsOf('call-never-rang')).toEqual([]);
  });

  it('answers in the open desk when Answer is pressed on the notification', async () => {
    const link = await createLink(sender, { recipientName: 'Grace' });
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token, 'Grace');
    // The desk rings this call, and so does a push to this device.
    const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await deliver({
      type: 'ring',
      callId,
      callerName: 'Grace',
      subject: null,
      video: false,
      ringsUntil: inAMinute(),
    });
    await expect.poll(async () => (await notificationsOf(callId)).length, SHOWN).toBe(1);

    // The desk is open: the worker brings it up and tells it, opening nothing.
    expect(await pressNotification(app.context, callId, 'answer')).toMatchObject({ opened: [] });

    await expect
      .poll(() => desk.getByRole('region', { name: 'Current call' }).isVisible())
      .toBe(true);
    expect(await desk.locator('#in-call-title').textContent()).toBe('In a call with Grace');
    expect(await dialog.isVisible()).toBe(false);
    expect(await notificationsOf(callId)).toEqual([]);
    await expect.poll(() => caller.stages).toContain('connected');
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.stages).toContain('ended');
  });
});

describe('turning notification rings on', () => {
  it('says this browser cannot ring by notification, and the desk works on', async () => {
    const panel = desk.locator('#push-rings');
    expect(await panel.textContent()).toContain('Ring this device even when Voxreply is closed');
    const turnOn = desk.getByRole('button', { name: 'Turn on notification rings' });
    await turnOn.focus();
    await desk.keyboard.press('Enter');
    // This Chromium has no push service to subscribe with: the real answer here.
    await expect
      .poll(() => desk.locator('#push-rings-status').textContent(), { timeout: 20_000 })
      .toBe('Notification rings are not available in this browser.');
    expect(await turnOn.isVisible()).toBe(false);
    expect(await desk.locator('#connection').getAttribute('data-connection-state')).toBe(
      'connected',
    );
    expect(await desk.locator('#devices').textContent()).toContain('(this device)');
  });
});

describe('a desk opened by Answer on a notification (/app?answer=<call>)', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser.close();
  });

  /** The desk as device `deviceId` of `owner`, opened at `path`. */
  async function openDeskAs(owner: Sender, deviceId: string, path: string): Promise<Page> {
    const context = await loggedInContext(browser, server.url, owner.cookie);
    await context.addInitScript((id) => localStorage.setItem('voxreply.deviceId', id), deviceId);
    const page = await context.newPage();
    await page.goto(`${server.url}${path}`);
    return page;
  }

  it('answers the call when it still rings this device', async () => {
    const owner = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(owner, { recipientName: 'Grace' });
    // The device that was rung (here by its other tab's socket; closed, by push).
    const phone = await sockets.device(server.url, owner, 'Phone');
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token, 'Grace');
    await expect.poll(() => phone.rings.map((ring) => ring.callId)).toEqual([callId]);

    const page = await openDeskAs(owner, phone.deviceId, `/app?answer=${callId}`);
    await expect
      .poll(() => page.getByRole('region', { name: 'Current call' }).isVisible())
      .toBe(true);
    await expect
      .poll(() => page.locator('#in-call-title').textContent())
      .toBe('In a call with Grace');
    await expect.poll(() => caller.stages).toContain('connected');
    // The address no longer answers: a reload is just the desk.
    expect(new URL(page.url()).search).toBe('');
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.stages).toContain('ended');
    await page.context().close();
  });

  it('says what happened when the call no longer rings', async () => {
    const owner = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(owner, { recipientName: 'Grace' });
    const phone = await sockets.device(server.url, owner, 'Phone');
    const caller = await sockets.caller(server.url);
    const { callId } = await startCall(caller, link.token, 'Grace');
    await expect.poll(() => phone.rings.length).toBe(1);
    ok(await caller.socket.emitWithAck('call:hangup', { callId }));

    const late = await openDeskAs(owner, phone.deviceId, `/app?answer=${callId}`);
    await expect.poll(() => late.locator('#notice').textContent()).toBe('The caller hung up.');
    expect(await late.getByRole('region', { name: 'Current call' }).isVisible()).toBe(false);
    await late.context().close();

    const unknown = await openDeskAs(owner, phone.deviceId, '/app?answer=no-such-call');
    await expect.poll(() => unknown.locator('#notice').textContent()).toBe('That call is over.');
    await unknown.context().close();
  });
});

describe('the devices list', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser.close();
  });

  /** A subscription as a browser gives it (a P-256 key, a 16-byte secret); no push goes out here. */
  const subscription = () => ({
    endpoint: `https://push.example.net/send/${randomBytes(8).toString('hex')}`,
    keys: {
      p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  });

  async function openDeskAs(owner: Sender, deviceId: string, label: string): Promise<Page> {
    const context = await loggedInContext(browser, server.url, owner.cookie);
    await context.addInitScript(
      ([id, name]) => {
        localStorage.setItem('voxreply.deviceId', id);
        localStorage.setItem('voxreply.deviceLabel', name);
      },
      [deviceId, label] as const,
    );
    const page = await context.newPage();
    await page.goto(`${server.url}/app`);
    return page;
  }

  it('shows which devices ring by notification, and turns one off', async () => {
    const owner = await signUp(server.url, 'Ada Lovelace');
    const laptop = await sockets.device(server.url, owner, 'Laptop');
    // Stored as the laptop's desk stores it, through the same API.
    const stored = await owner.api('PUT', `/api/devices/${laptop.deviceId}/push`, subscription());
    expect(stored.status, await stored.text()).toBe(204);

    const page = await openDeskAs(owner, randomBytes(12).toString('base64url'), 'Phone');
    const laptopCell = page.locator('#devices tr', { hasText: 'Laptop' }).locator('td').first();
    await expect
      .poll(() => laptopCell.textContent())
      .toBe('Laptoprings by notification when closed Turn off');
    await page.getByRole('button', { name: 'Turn off notification rings for Laptop' }).click();
    await expect.poll(() => laptopCell.textContent()).toBe('Laptop');
    await page.context().close();
  });

  it('has the server forget a subscription this browser no longer has', async () => {
    const owner = await signUp(server.url, 'Ada Lovelace');
    // The device once said hello and stored a subscription; then its site data was cleared.
    const phone = await connectDevice(server.url, owner, 'Phone');
    sockets.track(phone.socket);
    const stored = await owner.api('PUT', `/api/devices/${phone.deviceId}/push`, subscription());
    expect(stored.status, await stored.text()).toBe(204);
    phone.socket.disconnect();

    const page = await openDeskAs(owner, phone.deviceId, 'Phone');
    const own = page.locator('#devices tr', { hasText: '(this device)' }).locator('td').first();
    // Listed as ringing by notification at first, then not, once the desk has told the server.
    await expect.poll(() => own.textContent()).toBe('Phone (this device)');
    expect(await page.getByRole('button', { name: 'Turn on notification rings' }).isVisible()).toBe(
      true,
    );
    await page.context().close();
  });

  it('forgets a closed device: no longer listed, its notification rings gone with it', async () => {
    const owner = await signUp(server.url, 'Ada Lovelace');
    const old = await connectDevice(server.url, owner, 'Old laptop');
    sockets.track(old.socket);
    const stored = await owner.api('PUT', `/api/devices/${old.deviceId}/push`, subscription());
    expect(stored.status, await stored.text()).toBe(204);
    old.socket.disconnect();

    const page = await openDeskAs(owner, randomBytes(12).toString('base64url'), 'Phone');
    const rows = page.locator('#devices tr');
    await expect.poll(() => rows.count()).toBe(3);
    // Offered once it is closed (after presence's grace), and never for this device.
    const forget = page.getByRole('button', { name: 'Forget Old laptop' });
    await forget.waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Forget Phone' }).count()).toBe(0);
    await forget.click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator('#devices').textContent()).not.toContain('Old laptop');
    await page.context().close();
  });
});

// The reply call end to end in real Chromium: a sender logged in on two
// devices (two browser contexts), one with fresh input and one idle; a
// recipient opens a per-recipient link and presses "Call"; the active device
// alone rings; it answers; each side hears the other's microphone tone; hang
// up; the call is in the history with the device that answered.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me } from '../../protocol/accounts.js';
import {
  CALLER_HZ,
  SENDER_HZ,
  launchCallBrowsers,
  type CallBrowsers,
} from '../support/browser-call.js';
import { loggedInContext } from '../support/chromium.js';
import { decodedFrames, expectTone } from '../support/media-probe.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { createLink, signUp, type Sender } from '../support/sender.js';

let server: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await server.stop();
});

/** A desk app on its own browser context (its own device id), logged in as `sender`. */
async function openDevice(
  sender: Sender,
  label: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await loggedInContext(browsers.sender, server.url, sender.cookie);
  await context.addInitScript(
    (deviceLabel) => localStorage.setItem('voxreply.deviceLabel', deviceLabel),
    label,
  );
  const page = await context.newPage();
  await page.goto(`${server.url}/app`);
  await expect
    .poll(() => page.locator('#connection').getAttribute('data-connection-state'))
    .toBe('connected');
  return { context, page };
}

async function setUpSender() {
  const sender = await signUp(server.url, 'Ada Lovelace');
  const link = await createLink(sender, {
    recipientName: 'Grace',
    recipientEmail: 'grace@example.org',
    subject: 'Q3 plan',
  });
  const laptop = await openDevice(sender, 'Laptop');
  const phone = await openDevice(sender, 'Phone');
  // Both devices are listed in each desk app.
  await expect.poll(() => laptop.page.locator('#devices tr[data-device-state]').count()).toBe(2);
  // Real input on the laptop only.
  await laptop.page.mouse.move(50, 50);
  await laptop.page.keyboard.press('Shift');
  await expect
    .poll(() => laptop.page.locator('#devices tr[data-device-state="active"]').count())
    .toBe(1);
  return { sender, link, laptop, phone };
}

describe('a reply call', () => {
  it('rings the active device alone, connects both ways, and lands in the history', async () => {
    const { link, laptop, phone } = await setUpSender();
    const caller = await browsers.caller.newPage();
    const errors: string[] = [];
    caller.on('pageerror', (error) => errors.push(error.message));
    await caller.goto(`${server.url}/r/${link.token}`);
    await caller.getByRole('button', { name: 'Call', exact: true }).click();

    const dialog = laptop.page.getByRole('dialog', { name: 'Incoming call' });
    await expect.poll(() => dialog.isVisible(), { timeout: 5000 }).toBe(true);
    expect(await dialog.textContent()).toContain('Grace (grace@example.org) is calling');
    expect(await dialog.textContent()).toContain('About: Q3 plan');
    await expect
      .poll(() => caller.getByRole('status').first().textContent())
      .toBe('Ringing Ada Lovelace…');
    // The idle phone does not ring in the first stage.
    expect(await phone.page.getByRole('dialog', { name: 'Incoming call' }).isVisible()).toBe(false);

    await dialog.getByRole('button', { name: 'Answer', exact: true }).click();
    await expect
      .poll(() => caller.getByRole('status').first().textContent())
      .toMatch(/^Connected \d+:\d\d$/);
    await expectTone(caller, SENDER_HZ);
    await expectTone(laptop.page, CALLER_HZ);

    // The caller's network changes: the page restarts ICE and the call goes on.
    await caller.evaluate(() => window.dispatchEvent(new Event('online')));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expectTone(laptop.page, CALLER_HZ);
    await expectTone(caller, SENDER_HZ);

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.getByRole('status').first().textContent()).toBe('Call ended');
    await expect.poll(() => laptop.page.locator('#in-call').isVisible()).toBe(false);
    await expect
      .poll(() => laptop.page.locator('#history tr[data-outcome="answered"]').first().textContent())
      .toContain('answered on Laptop');
    expect(
      await laptop.page.locator('#history tr[data-outcome="answered"]').first().textContent(),
    ).toContain('Laptop: input');
    expect(errors).toEqual([]);
    await Promise.all([caller.close(), laptop.context.close(), phone.context.close()]);
  });

  it('honours do-not-disturb set in the desk app: the caller is told, nothing rings', async () => {
    const { sender, link, laptop, phone } = await setUpSender();
    await laptop.page.getByLabel('Do not disturb').check();
    await laptop.page.getByLabel(/Away after/).fill('15');
    await laptop.page.getByLabel(/Away after/).press('Tab');
    await expect
      .poll(async () => ((await (await sender.api('GET', '/api/me')).json()) as Me).settings)
      .toMatchObject({ doNotDisturb: true, awayAfterMinutes: 15 });

    const caller = await browsers.caller.newPage();
    await caller.goto(`${server.url}/r/${link.token}`);
    await expect
      .poll(() => caller.locator('#sender-line').textContent())
      .toBe('Ada Lovelace is not taking calls right now.');
    await caller.getByRole('button', { name: 'Call', exact: true }).click();
    await expect
      .poll(() => caller.getByRole('status').first().textContent())
      .toBe('Ada Lovelace is not taking calls right now');
    expect(await laptop.page.getByRole('dialog', { name: 'Incoming call' }).isVisible()).toBe(
      false,
    );
    await Promise.all([caller.close(), laptop.context.close(), phone.context.close()]);
  });

  it('carries video: the answering device decodes the caller camera frames', async () => {
    const { link, laptop, phone } = await setUpSender();
    const caller = await browsers.caller.newPage();
    await caller.goto(`${server.url}/r/${link.token}`);
    await caller.getByRole('button', { name: 'Video call' }).click();

    const dialog = laptop.page.getByRole('dialog', { name: 'Incoming call' });
    await expect.poll(() => dialog.isVisible(), { timeout: 5000 }).toBe(true);
    expect(await dialog.textContent()).toContain('is calling with video');
    await dialog.getByRole('button', { name: 'Answer with video' }).click();

    await expect
      .poll(() => decodedFrames(laptop.page, '#remote-media video'), { timeout: 15_000 })
      .toBeGreaterThan(10);
    await expect
      .poll(() => decodedFrames(caller, '#remote-media video'), { timeout: 15_000 })
      .toBeGreaterThan(10);
    await laptop.page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.getByRole('status').first().textContent()).toBe('Call ended');
    await Promise.all([caller.close(), laptop.context.close(), phone.context.close()]);
  });
});

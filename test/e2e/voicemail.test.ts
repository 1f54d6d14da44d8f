// Voicemail end to end in Chromium: a caller whose call nobody takes records a
// message from a microphone playing a 660 Hz tone (opus-recorder, in the
// page), listens back and sends it; the sender's desk app shows it at once and
// plays it, and the tone is heard in what it plays.
import type { Browser, BrowserContext, ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { playedFrequency } from '../support/media-probe.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

const TONE_HZ = 660;

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
  browser = await launchChromium({ microphoneWav: toneWav(TONE_HZ) });
});

afterAll(async () => {
  await browser.close();
  await server.stop();
});

function loggedIn(cookie: string): Promise<BrowserContext> {
  return loggedInContext(browser, server.url, cookie);
}

describe('voicemail', () => {
  it('is recorded on the reply page, sent, shown in the desk app at once and played', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper', subject: 'Q3 plan' });
    // Do not disturb: the desk app stays open to read messages, no call rings.
    expect((await sender.api('PATCH', '/api/me/settings', { doNotDisturb: true })).status).toBe(
      200,
    );
    const deskContext = await loggedIn(sender.cookie);
    const desk = await deskContext.newPage();
    const errors: string[] = [];
    const collect = (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push(message.text());
    };
    desk.on('console', collect);
    await desk.goto(`${server.url}/app`);
    await expect
      .poll(() => desk.locator('#voicemails').textContent())
      .toContain('No voice messages');

    const callerContext = await browser.newContext();
    const caller = await callerContext.newPage();
    caller.on('console', collect);
    await caller.goto(`${server.url}/r/${link.token}`);
    await caller.getByRole('button', { name: 'Call', exact: true }).click();
    await caller.getByRole('button', { name: 'Leave a voice message' }).click({ timeout: 15_000 });
    await caller.getByRole('button', { name: 'Record' }).click();
    await expect
      .poll(() => caller.locator('#vm-time').textContent(), { timeout: 10_000 })
      .toMatch(/^0:03/);
    expect(
      await caller.locator('#vm-level').evaluate((meter: HTMLMeterElement) => meter.value),
    ).toBeGreaterThan(0);
    await caller.getByRole('button', { name: 'Stop' }).click();
    // Listen back: the recording is there to play.
    await expect
      .poll(() => caller.locator('#vm-playback').evaluate((a: HTMLAudioElement) => a.src))
      .toMatch(/^blob:/);
    await caller.locator('#voicemail').getByRole('button', { name: 'Send' }).click();
    await expect
      .poll(() => caller.locator('#vm-status').textContent(), { timeout: 10_000 })
      .toBe('Message sent');

    // The desk app shows it without a reload.
    const row = desk.locator('#voicemails tr[data-heard="no"]');
    await expect.poll(() => row.count(), { timeout: 5000 }).toBe(1);
    expect(await row.textContent()).toContain('Grace Hopper');
    expect(await row.textContent()).toContain('About: Q3 plan');
    expect(await desk.locator('#voicemail-title').textContent()).toBe('Voice messages (1 new)');
    const heard = await playedFrequency(desk, '#voicemails audio');
    expect(Math.abs(heard - TONE_HZ)).toBeLessThan(25);

    await desk.getByRole('button', { name: 'Mark heard' }).click();
    await expect.poll(() => desk.locator('#voicemails tr[data-heard="yes"]').count()).toBe(1);
    await desk.getByRole('button', { name: 'Delete the message from Grace Hopper' }).click();
    await expect
      .poll(() => desk.locator('#voicemails').textContent())
      .toContain('No voice messages');
    expect(errors).toEqual([]);
    await callerContext.close();
    await deskContext.close();
  });
});

// Chat in Chromium: a recipient on the reply page and the sender in the desk
// app write to each other; the messages survive a reload on both sides, show
// when they were read, and a script tag arrives as the characters typed.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await server.stop();
});

/** Fails the test on any dialog (an injected script's alert) or console error. */
function watch(page: Page, problems: string[]): void {
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
}

const texts = (page: Page) => page.locator('#chat-log .chat-text').allTextContents();

describe('chat', () => {
  it('goes both ways, survives a reload, shows read, and shows a script tag as text', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper', subject: 'Q3 plan' });
    const problems: string[] = [];

    const deskContext = await loggedInContext(browser, server.url, sender.cookie);
    const desk = await deskContext.newPage();
    watch(desk, problems);
    await desk.goto(`${server.url}/app`);

    const caller = await (await browser.newContext()).newPage();
    watch(caller, problems);
    await caller.goto(`${server.url}/r/${link.token}`);
    const hostile = '<script>alert("hi")</script><img src=x onerror=alert(1)>';
    await caller.getByLabel('Message', { exact: true }).fill(hostile);
    await caller.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => texts(caller)).toEqual([hostile]);
    await expect
      .poll(() => desk.locator('#notice').textContent())
      .toContain('New message from Grace Hopper');

    await desk.getByRole('button', { name: 'Chat with Grace Hopper' }).click();
    await expect.poll(() => texts(desk)).toEqual([hostile]);
    // The desk has it open: the caller sees it was read.
    await expect.poll(() => caller.locator('#chat-log .chat-status').textContent()).toBe('Read');
    await desk.getByLabel('Message', { exact: true }).fill('Thanks, Grace: tomorrow at 10?');
    await desk.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => texts(caller)).toEqual([hostile, 'Thanks, Grace: tomorrow at 10?']);

    await caller.reload();
    await expect.poll(() => texts(caller)).toEqual([hostile, 'Thanks, Grace: tomorrow at 10?']);
    await desk.reload();
    await desk.getByRole('button', { name: 'Chat with Grace Hopper' }).click();
    await expect.poll(() => texts(desk)).toEqual([hostile, 'Thanks, Grace: tomorrow at 10?']);
    expect(await caller.locator('#chat-log img, #chat-log script').count()).toBe(0);
    expect(problems).toEqual([]);
    await deskContext.close();
  });
});

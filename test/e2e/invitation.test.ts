// The invitation loop in Chromium: after a call, the reply page offers "Get
// your own reply-by-voice link"; the sign-up comes filled in from the link,
// and the new account sees the calls it made through links sent to its
// address. Without holding such a link, an address proves nothing and shows
// nobody's calls.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me, MyReply } from '../../protocol/accounts.js';
import { launchChromium } from '../support/chromium.js';
import { createLink, randomEmail, signUp } from '../support/sender.js';
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

describe('the invitation loop', () => {
  it('turns a recipient into an account that keeps their calls with the sender', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const link = await createLink(sender, {
      recipientName: 'Grace Hopper',
      recipientEmail: grace,
      subject: 'Q3 plan',
    });
    // Nobody answers (do not disturb): the call ends at once.
    await sender.api('PATCH', '/api/me/settings', { doNotDisturb: true });

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    const invite = page.getByRole('link', { name: 'Get your own reply-by-voice link' });
    await invite.click({ timeout: 10_000 });

    const form = page.locator('#signup-form');
    await expect.poll(() => form.getByLabel('Name').inputValue()).toBe('Grace Hopper');
    expect(await form.getByLabel('Email').inputValue()).toBe(grace);
    await form.getByLabel('Password').fill('correct horse battery');
    await form.getByRole('button', { name: 'Sign up' }).click();

    const replies = page.getByRole('region', { name: 'Your replies' });
    await expect
      .poll(() => replies.locator('td').allTextContents(), { timeout: 10_000 })
      .toEqual([
        'Ada Lovelace',
        'Q3 plan',
        expect.stringMatching(/ago$/) as unknown as string,
        'missed',
      ]);
    await context.close();
  });

  it('shows no calls to an account that only typed the address', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const link = await createLink(sender, { recipientEmail: grace });
    const other = await createLink(sender, { recipientEmail: randomEmail('Bob Brown') });
    await fetch(`${server.url}/api/reply/${link.token}`);

    // Typed Grace's address, holding no link: not confirmed, nothing shown.
    const typed = await signUp(server.url, 'Not Grace', grace);
    expect(((await (await typed.api('GET', '/api/me')).json()) as Me).emailConfirmed).toBe(false);
    expect((await (await typed.api('GET', '/api/me/replies')).json()) as MyReply[]).toEqual([]);

    // Holding someone else's link proves nothing about this address either.
    const response = await fetch(`${server.url}/api/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Mallory',
        email: randomEmail('Mallory'),
        password: 'correct horse battery',
        fromLink: other.token,
      }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as Me).emailConfirmed).toBe(false);
  });
});

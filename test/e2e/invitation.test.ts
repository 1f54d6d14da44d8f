// The invitation loop in Chromium: after a call on a link the relay mailed,
// the reply page offers "Get your own reply-by-voice link"; the sign-up comes
// filled in, and once the person opens the confirmation link mailed to their
// address, the new account sees the calls it made through links sent there.
// An address that was only typed, or "confirmed" with a link a sender made by
// hand, shows nothing.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me, MyReply } from '../../protocol/accounts.js';
import { launchChromium } from '../support/chromium.js';
import { confirmationLink } from '../support/confirmation.js';
import {
  relayedLinks,
  startRelayingServer,
  type RelayingServer,
} from '../support/relayed-links.js';
import {
  connectCaller,
  createLink,
  ok,
  randomEmail,
  signUp,
  type Sender,
} from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';

let relay: RelayingServer;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  relay = await startRelayingServer();
  server = relay.server;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await relay.stop();
});

/** Mails `to` through the relay; the token of the link in the copy that arrived. */
async function mailedLink(sender: Sender, to: string, name: string): Promise<string> {
  const links = await relayedLinks(relay, {
    sender,
    subject: `Q3 plan ${Date.now()}`,
    to: [`"${name}" <${to}>`],
  });
  return links.get(to) ?? '';
}

/** A call through the link that nobody answers (the sender is in do-not-disturb). */
async function unansweredCall(token: string): Promise<void> {
  const caller = await connectCaller(server.url);
  ok(await caller.socket.emitWithAck('call:start', { token, callerName: 'Grace', video: false }));
  await expect.poll(() => caller.stages.length).toBeGreaterThan(0);
  caller.socket.disconnect();
}

describe('the invitation loop', () => {
  it('turns a recipient into an account that keeps their calls with the sender', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    await sender.api('PATCH', '/api/me/settings', { doNotDisturb: true });
    const grace = randomEmail('Grace Hopper');
    const token = await mailedLink(sender, grace, 'Grace Hopper');

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/r/${token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await page
      .getByRole('link', { name: 'Get your own reply-by-voice link' })
      .click({ timeout: 10_000 });

    const form = page.locator('#signup-form');
    await expect.poll(() => form.getByLabel('Name').inputValue()).toBe('Grace Hopper');
    // The link does not reveal the address: the person types their own.
    expect(await form.getByLabel('Email').inputValue()).toBe('');
    await form.getByLabel('Email').fill(grace);
    await form.getByLabel('Password').fill('correct horse battery');
    await form.getByRole('button', { name: 'Sign up' }).click();

    // Holding the link proves nothing (a forwarded email carries it): the desk
    // says where the confirmation went and shows no replies yet.
    await expect
      .poll(() => page.locator('#unconfirmed').textContent(), { timeout: 10_000 })
      .toContain(`a confirmation link was sent to ${grace}`);
    expect(await page.getByRole('region', { name: 'Your replies' }).count()).toBe(0);

    // Grace opens the link in the mail (a new tab of the same browser).
    const link = await confirmationLink(relay.sink, grace);
    expect(link.startsWith(`${server.url}/app#confirm=`)).toBe(true);
    const confirmed = await context.newPage();
    await confirmed.goto(link);
    await expect
      .poll(() => confirmed.locator('#notice').textContent(), { timeout: 10_000 })
      .toBe(`${grace} is confirmed for the account of Grace Hopper: your replies are shown below.`);
    expect(await confirmed.locator('#unconfirmed').isHidden()).toBe(true);
    // The code left the address bar (no later copy or bookmark carries it).
    expect(new URL(confirmed.url()).hash).toBe('');

    const replies = confirmed.getByRole('region', { name: 'Your replies' });
    await expect
      .poll(() => replies.locator('td').allTextContents(), { timeout: 10_000 })
      .toEqual([
        'Ada Lovelace',
        expect.stringMatching(/^Q3 plan/) as unknown as string,
        expect.stringMatching(/ago$/) as unknown as string,
        'missed',
      ]);
    await context.close();
  });

  it('shows no calls to an address only typed, or vouched for by a link made by hand', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    await sender.api('PATCH', '/api/me/settings', { doNotDisturb: true });
    const victim = randomEmail('Victor Victim');
    await unansweredCall(await mailedLink(sender, victim, 'Victor Victim'));

    // A sender can make a link for any address and holds its token: it proves nothing.
    const mallory = await signUp(server.url, 'Mallory');
    const handMade = await createLink(mallory, { recipientEmail: victim });
    const response = await fetch(`${server.url}/api/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Not Victor',
        email: victim,
        password: 'correct horse battery',
        fromLink: handMade.token,
      }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as Me).emailConfirmed).toBe(false);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const replies = await fetch(`${server.url}/api/me/replies`, { headers: { cookie } });
    expect((await replies.json()) as MyReply[]).toEqual([]);
  });
});

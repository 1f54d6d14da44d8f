// The reply page and the desk app load in a real Chromium on a phone-sized
// screen without a console error: the reply page connects its socket, an
// unknown link says so in words, a logged-out desk app offers log-in, and a
// logged-in one shows the Email section (settings, mail relay, app passwords).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { freePort } from '../support/free-port.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { createLink, signUp, type Sender } from '../support/sender.js';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await server.stop();
});

async function open(
  path: string,
  options: { on?: RunningServer; as?: Sender; expectStatus?: number } = {},
): Promise<{ page: Page; problems: string[] }> {
  const on = options.on ?? server;
  // The unknown-link check below expects its 404 answer; others name theirs.
  const expected = String(options.expectStatus ?? 404);
  const viewport = { viewport: { width: 390, height: 844 } };
  const context = options.as
    ? await loggedInContext(browser, on.url, options.as.cookie, viewport)
    : await browser.newContext(viewport);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes(expected))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${on.url}${path}`);
  return { page, problems };
}

describe('the reply page', () => {
  it('shows the sender and the call buttons, with its socket connected', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { subject: 'Budget' });
    const { page, problems } = await open(`/r/${link.token}`);
    await expect
      .poll(() => page.getByRole('status').last().getAttribute('data-connection-state'))
      .toBe('connected');
    await expect
      .poll(() => page.locator('#sender-line').textContent())
      .toMatch(/^Ada Lovelace is /);
    expect(await page.locator('#subject-line').textContent()).toBe('About: Budget');
    expect(await page.getByRole('button', { name: 'Call', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Video call' }).isVisible()).toBe(true);
    // No recipient on the link: the page asks for the caller's name.
    expect(await page.getByLabel('Your name').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('explains an unknown link instead of failing', async () => {
    const { page, problems } = await open('/r/AAAAAAAAAAAAAAAAAAAAAA');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe(
        'This reply link does not work. Check that it was copied whole, or ask its sender for a new one.',
      );
    expect(await page.getByRole('button', { name: 'Call', exact: true }).isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('the desk app', () => {
  it('offers log-in and sign-up when logged out', async () => {
    const { page, problems } = await open('/app');
    await expect.poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign up' }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("the desk app's Email section", () => {
  let relayServer: RunningServer;
  let relayPort: number;

  beforeAll(async () => {
    relayPort = await freePort();
    // Nothing listens at the smarthost: the page only shows how to reach the relay.
    relayServer = await startServer({
      MAIL_SMARTHOST: 'smtp://127.0.0.1:9',
      SMTP_RELAY_PORT: String(relayPort),
    });
  });

  afterAll(async () => {
    await relayServer.stop();
  });

  it('says so when this server has no mail relay', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const { page, problems } = await open('/app', { as: sender });
    const section = page.getByRole('region', { name: 'Email', exact: true });
    await expect
      .poll(() => section.locator('#relay').textContent())
      .toMatch(/not configured on this server.*MAIL_SMARTHOST/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('keeps the email settings and makes app passwords for the relay', async () => {
    const sender = await signUp(relayServer.url, 'Grace Hopper');
    // Not the default: the checkbox must show what is stored.
    await sender.api('PATCH', '/api/me/settings', { notifyMissedCalls: false });
    const { page, problems } = await open('/app', {
      on: relayServer,
      as: sender,
      expectStatus: 400,
    });
    const section = page.getByRole('region', { name: 'Email', exact: true });
    const offerVideo = section.getByLabel('Offer "Reply by video" in my emails');
    const notifyMissed = section.getByLabel('Email me about calls nobody answered');
    await expect
      .poll(() => section.locator('dt:text-is("Port") + dd').textContent())
      .toBe(String(relayPort));
    expect(await section.locator('dt:text-is("User name") + dd').textContent()).toBe(sender.email);
    expect(await offerVideo.isChecked()).toBe(false);
    expect(await notifyMissed.isChecked()).toBe(false);

    const saved = page.waitForResponse(
      (response) => response.url().endsWith('/api/me/settings') && response.ok(),
    );
    await offerVideo.check();
    await saved;
    await page.reload();
    await expect.poll(() => offerVideo.isChecked()).toBe(true);
    expect(await notifyMissed.isChecked()).toBe(false);
    const me = (await (await sender.api('GET', '/api/me')).json()) as {
      settings: { offerVideo: boolean; notifyMissedCalls: boolean };
    };
    expect(me.settings).toMatchObject({ offerVideo: true, notifyMissedCalls: false });

    const table = section.getByRole('table', { name: 'App passwords' });
    const shown = section.locator('#new-app-password');
    await expect.poll(() => table.textContent()).toBe('No app passwords yet.');
    const label = section.getByLabel('Label', { exact: true });
    // Spaces pass the browser's "required" but not the server: its words are shown.
    await label.fill('   ');
    await section.getByRole('button', { name: 'Create app password' }).click();
    await expect.poll(() => shown.textContent()).toBe('label is required');

    await label.fill('Thunderbird');
    await section.getByRole('button', { name: 'Create app password' }).click();
    await expect
      .poll(() => shown.textContent())
      .toMatch(
        /^New app password for Thunderbird: [A-Za-z0-9_-]{16,} — copy it now, it is not shown again\.$/,
      );
    const row = table.getByRole('row').filter({ hasText: 'Thunderbird' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      'Thunderbird',
      expect.stringMatching(/ s ago$/) as unknown as string,
      'never',
      'Revoke',
    ]);

    // Shown once: after a reload only the label is left.
    await page.reload();
    await expect.poll(() => row.count()).toBe(1);
    expect(await shown.textContent()).toBe('');

    await row.getByRole('button', { name: 'Revoke Thunderbird' }).click();
    await expect.poll(() => table.textContent()).toBe('No app passwords yet.');
    const listed = (await (await sender.api('GET', '/api/me/mail')).json()) as {
      appPasswords: unknown[];
    };
    expect(listed.appPasswords).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows when each recipient link was last used', async () => {
    const sender = await signUp(relayServer.url, 'Grace Hopper');
    await createLink(sender, { recipientName: 'Alan', subject: 'Budget' });
    const { page, problems } = await open('/app', { on: relayServer, as: sender });
    const links = page.getByRole('region', { name: 'Links' }).getByRole('table');
    const row = links.getByRole('row').filter({ hasText: 'Alan' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await links.getByRole('columnheader').allTextContents()).toEqual([
      'Recipient',
      'Subject',
      'Created',
      'Last used',
      'Calls',
      '',
    ]);
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      'Alan',
      'Budget',
      expect.stringMatching(/ s ago$/) as unknown as string,
      'never',
      '0',
      'ChatRevoke',
    ]);
    expect(await row.getByRole('button').allTextContents()).toEqual(['Chat', 'Revoke']);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

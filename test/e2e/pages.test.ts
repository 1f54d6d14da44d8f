// The reply page and the desk app load in a real Chromium on a phone-sized
// screen without a console error: the reply page connects its socket, an
// unknown link says so in words, and a logged-out desk app offers log-in.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { createLink, signUp } from '../support/sender.js';

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

async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // The unknown-link check below expects its 404 answer.
    if (message.type() === 'error' && !message.text().includes('404'))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}${path}`);
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
      .toBe('This reply link does not exist. Check that it was copied whole.');
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

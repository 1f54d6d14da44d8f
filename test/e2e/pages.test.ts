// The reply page and the desk app load in a real Chromium, connect their socket
// and say so on screen, without a console error.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startServer, type RunningServer } from '../support/server-process.js';

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

describe.each([
  { page: 'reply page', path: '/r/AAAAAAAAAAAAAAAAAAAAAA', heading: 'Reply by voice' },
  { page: 'desk app', path: '/app', heading: 'Voxreply' },
])('the $page', ({ path, heading }) => {
  it('shows its socket connected, on a phone-sized screen, with no console error', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${server.url}${path}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
    const status = page.getByRole('status');
    await expect.poll(() => status.getAttribute('data-connection-state')).toBe('connected');
    expect(await status.textContent()).toBe('Connected');
    expect(problems).toEqual([]);
    await context.close();
  });
});

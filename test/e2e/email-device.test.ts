// The "Reply by voice" device for email and its live badge, against the built
// server: the device's HTML and text for a sender's signature link, the badge
// as PNG and SVG (status as the sender allows, neutral for anything unknown),
// and the HTML as a mail client shows it: Chromium with JavaScript disabled
// (a screenshot is kept in test-artifacts/).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { projectRoot } from '../support/project.js';
import { signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

interface Device {
  url: string;
  html: string;
  text: string;
}

let server: RunningServer;
let browser: Browser;
let sender: Sender;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
  browser = await launchChromium();
  sender = await signUp(server.url, 'Ada Lovelace');
});

afterAll(async () => {
  await browser.close();
  await server.stop();
});

async function signatureDevice(): Promise<Device> {
  const response = await sender.api('GET', '/api/links/signature/device');
  expect(response.status).toBe(200);
  return (await response.json()) as Device;
}

/** A PNG's signature and its IHDR width and height. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('the email device', () => {
  it('gives the signature link as HTML (no script) and as a plain-text line', async () => {
    const device = await signatureDevice();
    expect(device.url).toMatch(/\/r\/[A-Za-z0-9_-]+$/);
    expect(device.text).toBe(`Reply by voice: ${device.url}`);
    expect(device.html).toContain(`href="${device.url}"`);
    expect(device.html).toContain('Reply by voice');
    expect(device.html).toContain('alt="Ada Lovelace&#39;s status"');
    expect(device.html).not.toMatch(/<script|javascript:|class=/i);
    expect((await fetch(`${server.url}/api/links/signature/device`)).status).toBe(401);
  });

  it('serves the badge as PNG and SVG, uncached, with the status the sender shows', async () => {
    const token = (await signatureDevice()).url.split('/r/')[1] ?? '';
    const png = await fetch(`${server.url}/b/${token}.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('no-store');
    expect(pngSize(Buffer.from(await png.arrayBuffer()))).toEqual({ width: 264, height: 56 });
    // No desk app open: offline.
    const svg = await (await fetch(`${server.url}/b/${token}.svg`)).text();
    expect(svg).toContain('Offline');
    // A sender who hides their status shows the neutral badge.
    expect((await sender.api('PATCH', '/api/me/settings', { showStatus: false })).status).toBe(200);
    expect(await (await fetch(`${server.url}/b/${token}.svg`)).text()).toContain('Reply by voice');
    expect((await sender.api('PATCH', '/api/me/settings', { showStatus: true })).status).toBe(200);
  });

  it('answers unknown tokens and odd names with the neutral badge, never an error page', async () => {
    for (const file of ['AAAAAAAAAAAAAAAAAAAAAA.png', 'nonsense', '..%2F..%2Fetc%2Fpasswd.png']) {
      const response = await fetch(`${server.url}/b/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      pngSize(Buffer.from(await response.arrayBuffer()));
    }
    const svg = await (await fetch(`${server.url}/b/AAAAAAAAAAAAAAAAAAAAAA.svg`)).text();
    expect(svg).toContain('Reply by voice');
  });

  it('looks right where mail is read: JavaScript off, the button and the badge shown', async () => {
    const device = await signatureDevice();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.setContent(
      `<!doctype html><html><body style="font-family:Arial;padding:16px"><p>Thanks, Ada</p>${device.html}</body></html>`,
      { waitUntil: 'load' },
    );
    const button = page.getByRole('link', { name: 'Reply by voice' });
    expect(await button.isVisible()).toBe(true);
    expect(await button.getAttribute('href')).toBe(device.url);
    const badgeLoaded = await page
      .locator('img')
      .evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(badgeLoaded).toBe(264);
    const artifacts = path.join(projectRoot, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'email-device.png') });
    await context.close();
  });

  it('offers "Reply by video" when the sender allows it, and that page leads with video', async () => {
    expect((await sender.api('PATCH', '/api/me/settings', { offerVideo: true })).status).toBe(200);
    const device = await signatureDevice();
    const videoUrl = `${device.url}?video=1`;
    expect(device.text).toBe(`Reply by voice: ${device.url}\nReply by video: ${videoUrl}`);
    expect(device.html).toContain(`href="${videoUrl}"`);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(videoUrl);
    const first = page.locator('#start button').first();
    await expect.poll(() => first.textContent()).toBe('Video call');
    expect(await first.getAttribute('class')).toContain('primary');
    await context.close();
    expect((await sender.api('PATCH', '/api/me/settings', { offerVideo: false })).status).toBe(200);
    expect((await signatureDevice()).html).not.toContain('Reply by video');
  });

  it('is in the desk app under "Email signature", previewed and ready to copy', async () => {
    const device = await signatureDevice();
    const context = await loggedInContext(browser, server.url, sender.cookie);
    const desk = await context.newPage();
    await desk.goto(`${server.url}/app`);
    const section = desk.getByRole('region', { name: 'Email signature' });
    await expect
      .poll(() => section.getByRole('link', { name: 'Reply by voice' }).getAttribute('href'))
      .toBe(device.url);
    expect(await section.getByLabel('HTML').inputValue()).toBe(device.html);
    expect(await section.getByRole('button', { name: 'Copy' }).isEnabled()).toBe(true);
    await context.close();
  });
});

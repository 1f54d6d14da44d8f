// Two real Chromium processes, each with a fake microphone playing its own tone,
// exchange audio through the running server's mediasoup router (the /diag media
// check page, mediasoup-client), once over UDP and once over TCP only. Each must
// hear the other's frequency, and the worker must stay alive: this is what
// proves the offline-built worker's DTLS + SRTP with a real browser.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

const LOW_HZ = 440;
const HIGH_HZ = 880;
/** One FFT bin at 48 kHz / 8192 is 5.9 Hz; Opus adds a little more. */
const TOLERANCE_HZ = 15;

let server: RunningServer;
let browsers: Browser[] = [];

beforeAll(async () => {
  server = await startServer({ DIAGNOSTICS_ROOMS: '1' });
  browsers = await Promise.all([
    launchChromium({ microphoneWav: toneWav(LOW_HZ) }),
    launchChromium({ microphoneWav: toneWav(HIGH_HZ) }),
  ]);
});

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await server.stop();
});

async function heardFrequency(page: Page, expectedHz: number): Promise<number> {
  // Wait until the page reports the expected tone, or time out with what it heard.
  await page
    .waitForFunction(
      ([expected, tolerance]) => {
        const hz = Number(document.getElementById('heard')?.dataset.hz ?? 0);
        return Math.abs(hz - expected) <= tolerance;
      },
      [expectedHz, TOLERANCE_HZ] as const,
      { timeout: 20_000, polling: 250 },
    )
    .catch(() => undefined);
  return Number(await page.locator('#heard').getAttribute('data-hz'));
}

async function workerDeaths(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('voxreply_mediasoup_worker_deaths_total'));
  return Number(line?.split(' ')[1]);
}

describe.each([
  { transport: 'any', protocol: 'udp' },
  { transport: 'tcp', protocol: 'tcp' },
])('audio through the SFU over $protocol', ({ transport, protocol }) => {
  it('each Chromium hears the other one tone', async () => {
    const room = `e2e-${protocol}`;
    const pages = await Promise.all(browsers.map((browser) => browser.newPage()));
    const errors: string[] = [];
    for (const page of pages) page.on('pageerror', (error) => errors.push(error.message));
    const [low, high] = pages as [Page, Page];
    await low.goto(`${server.url}/diag?room=${room}&transport=${transport}`);
    await high.goto(`${server.url}/diag?room=${room}&transport=${transport}`);

    // The 440 Hz microphone's page hears 880 Hz and the other way round.
    expect(Math.abs((await heardFrequency(low, HIGH_HZ)) - HIGH_HZ)).toBeLessThanOrEqual(
      TOLERANCE_HZ,
    );
    expect(Math.abs((await heardFrequency(high, LOW_HZ)) - LOW_HZ)).toBeLessThanOrEqual(
      TOLERANCE_HZ,
    );
    for (const page of pages) {
      await expect
        .poll(() => page.locator('#network-path').getAttribute('data-protocol'), { timeout: 5000 })
        .toBe(protocol);
    }
    expect(errors).toEqual([]);
    expect(await workerDeaths()).toBe(0);
    await Promise.all(pages.map((page) => page.close()));
  });
});

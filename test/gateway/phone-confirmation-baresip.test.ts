// "Ask me to press 1" end to end with an ordinary telephone: baresip (its
// microphone a 440 Hz tone, recording what it hears) answers a call forwarded
// from a reply page in Chromium (microphone 880 Hz). The phone hears the
// announcement first (speech in its recording, while the page still says
// "Calling"), presses 1 on its keypad (baresip sends RFC 4733), and only then
// do the two hear each other.
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import {
  mediaAddress,
  removeTelephoneFiles,
  startTelephone,
  type Telephone,
} from '../support/baresip.js';
import { launchChromium } from '../support/chromium.js';
import { freePortRange } from '../support/free-port.js';
import { expectTone, TOLERANCE_HZ } from '../support/media-probe.js';
import { BROWSER_HZ, MOBILE, MOBILE_IP, PHONE_HZ } from '../support/phone-audio.js';
import { createLink, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

let server: RunningServer;
let browser: Browser;
let mobile: Telephone;
let sender: Sender;

beforeAll(async () => {
  const mobilePort = await freePortRange(1);
  mobile = startTelephone({
    ip: MOBILE_IP,
    port: mobilePort,
    number: MOBILE,
    microphoneWav: toneWav(PHONE_HZ, 30, 8000),
    keypadPort: await freePortRange(1),
  });
  const trunk = {
    name: 'pstn',
    host: MOBILE_IP,
    port: mobilePort,
    callerId: '+15550001111',
    codecs: ['PCMU'],
    optionsIntervalSeconds: 1,
  };
  server = await startServer({
    // Media where baresip sends from (see mediaAddress).
    RTC_LISTEN_IP: mediaAddress(),
    SIP_PORT: String(await freePortRange(1)),
    SIP_TRUNKS: JSON.stringify([trunk]),
  });
  browser = await launchChromium({ microphoneWav: toneWav(BROWSER_HZ) });
  sender = await signUp(server.url, 'Ada Lovelace');
});

afterAll(async () => {
  await browser.close();
  await server.stop();
  await mobile.stop();
});

/** sox's statistics of `seconds` of a recording from `start`. */
function stats(file: string, start: number, seconds: number): { rms: number; hz: number } {
  const text = spawnSync('sox', [file, '-n', 'trim', String(start), String(seconds), 'stat'], {
    encoding: 'utf8',
  }).stderr;
  const read = (name: string): number =>
    Number(new RegExp(`${name}:\\s+([0-9.]+)`).exec(text)?.[1] ?? Number.NaN);
  return { rms: read('RMS\\s+amplitude'), hz: read('Rough\\s+frequency') };
}

function lengthOf(file: string): number {
  return Number(spawnSync('soxi', ['-D', file], { encoding: 'utf8' }).stdout.trim());
}

describe('a telephone asked to press 1', () => {
  it('hears who calls about what, presses 1, and only then talks with the caller', async () => {
    // "Ask me to press 1" is on by default.
    const saved = await sender.api('PUT', '/api/me/phones', {
      phones: [{ number: MOBILE, label: 'Mobile' }],
    });
    expect(saved.status).toBe(200);
    const link = await createLink(sender, { recipientName: 'Grace', subject: 'Quarterly report' });
    await expect
      .poll(async () => await (await fetch(`${server.url}/metrics`)).text(), { timeout: 10_000 })
      .toContain('voxreply_sip_trunk_up{trunk="pstn"} 1');

    const page = await browser.newPage();
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    // baresip answers at once and starts recording what it hears.
    await expect.poll(() => mobile.recordings().length, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Answered, but nobody took it yet: the caller still waits.
    expect(await page.getByRole('status').first().textContent()).toBe(
      "Calling Ada Lovelace's phone…",
    );
    await mobile.press('1');
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    await expectTone(page, PHONE_HZ);
    // Let the phone hear the caller for a few seconds.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Call ended');

    const recording = mobile.recordings()[0] ?? '';
    await mobile.stop();
    // Before the key: the announcement. Speech comes and goes (words and
    // gaps), where a tone (the caller's, were it let through) holds its level.
    const before = Array.from({ length: 12 }, (_, i) => stats(recording, 0.3 + i * 0.2, 0.2).rms);
    expect(Math.max(...before), before.join(' ')).toBeGreaterThan(0.05);
    expect(Math.min(...before), before.join(' ')).toBeLessThan(Math.max(...before) / 3);
    // After it: the caller.
    const after = stats(recording, lengthOf(recording) - 3, 2.5);
    expect(Math.abs(after.hz - BROWSER_HZ), JSON.stringify(after)).toBeLessThanOrEqual(
      TOLERANCE_HZ * 2,
    );
    if (process.env.DEBUG_PHONE) console.log({ before, after }, server.output());
    removeTelephoneFiles(recording);

    const calls = (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
    expect(calls[0]).toMatchObject({ outcome: 'answered', answeredOn: `Mobile (${MOBILE})` });
    await expect
      .poll(
        async () =>
          ((await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[])[0]
            ?.phoneLegs[0]?.result,
        { timeout: 5000 },
      )
      .toBe('confirmed by key 1');
    await page.close();
  });
});

// Forwarding to a real telephone, with audio: baresip (auto-answering,
// playing a 440 Hz tone, recording what it hears) is the sender's phone behind
// a trunk; a reply page in Chromium whose microphone plays 880 Hz calls a
// sender with no device online. The plan forwards to the phone, and each side
// must hear the other's tone: the caller in the page, the phone in its recording.
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import { startTelephone, removeTelephoneFiles, type Telephone } from '../support/baresip.js';
import { launchChromium } from '../support/chromium.js';
import { freePortRange } from '../support/free-port.js';
import { dominantFrequency } from '../support/media-probe.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

const PHONE_HZ = 440;
const CALLER_HZ = 880;
const TOLERANCE_HZ = 15;
const PHONE_IP = '127.0.0.5';
const NUMBER = '+15551234567';

let server: RunningServer;
let browser: Browser;
let telephone: Telephone;

beforeAll(async () => {
  const phonePort = await freePortRange(1);
  telephone = startTelephone({
    ip: PHONE_IP,
    port: phonePort,
    number: NUMBER,
    microphoneWav: toneWav(PHONE_HZ, 30, 8000),
  });
  const trunks = [
    {
      name: 'pstn',
      host: PHONE_IP,
      port: phonePort,
      callerId: '+15550001111',
      // A G.711 carrier: the browser must switch its microphone to PCMU.
      codecs: ['PCMU'],
      optionsIntervalSeconds: 1,
    },
  ];
  server = await startServer({
    ...(process.env.DEBUG_PHONE ? { LOG_LEVEL: 'trace' } : {}),
    SIP_PORT: String(await freePortRange(1)),
    SIP_TRUNKS: JSON.stringify(trunks),
  });
  browser = await launchChromium({ microphoneWav: toneWav(CALLER_HZ) });
});

afterAll(async () => {
  if (process.env.DEBUG_PHONE) console.log(server.output(), telephone.output());
  await browser.close();
  await server.stop();
  await telephone.stop();
});

/** sox's report on a recording past its first second (sox writes it to stderr). */
function soxStat(file: string): string {
  return spawnSync('sox', [file, '-n', 'trim', '1', 'stat'], { encoding: 'utf8' }).stderr;
}

/** sox's estimate of a recording's frequency. */
function recordedFrequency(file: string): number {
  return Number(/Rough\s+frequency:\s+(\d+)/.exec(soxStat(file))?.[1] ?? Number.NaN);
}

describe('a reply call forwarded to a phone', () => {
  it('reaches baresip through the trunk and carries audio both ways', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    expect(
      (await sender.api('PUT', '/api/me/phones', { phones: [{ number: NUMBER, label: 'Mobile' }] }))
        .status,
    ).toBe(200);
    const link = await createLink(sender, { recipientName: 'Grace' });
    await expect
      .poll(
        async () =>
          (await (await fetch(`${server.url}/metrics`)).text()).includes(
            'voxreply_sip_trunk_up{trunk="pstn"} 1',
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Calling Ada Lovelace's phone…$|^Connected/);
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    // The caller hears the phone.
    await expect
      .poll(async () => Math.abs((await dominantFrequency(page, '#remote-audio')) - PHONE_HZ), {
        timeout: 15_000,
        interval: 500,
      })
      .toBeLessThanOrEqual(TOLERANCE_HZ);
    // Let the phone record a few seconds of the caller.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Call ended');

    await expect.poll(() => telephone.recordings().length, { timeout: 5000 }).toBeGreaterThan(0);
    const recording = telephone.recordings()[0] ?? '';
    await telephone.stop(); // flushes the WAV
    const heard = recordedFrequency(recording);
    expect(Math.abs(heard - CALLER_HZ), soxStat(recording)).toBeLessThanOrEqual(TOLERANCE_HZ * 2);
    removeTelephoneFiles(recording);

    const calls = (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
    expect(calls[0]).toMatchObject({ outcome: 'answered', answeredOn: `Mobile (${NUMBER})` });
    expect(calls[0]?.phoneLegs).toEqual([
      expect.objectContaining({ number: NUMBER, trunk: 'pstn', result: 'answered' }),
    ]);
    expect(errors).toEqual([]);
  });
});

// Real telephones, with audio. baresip plays an ordinary phone (auto-answering
// or dialing, its microphone a 440 Hz tone, recording what it hears) behind a
// G.711 trunk. Outbound: a reply page in Chromium (microphone 880 Hz) calls a
// sender with no device online; the plan forwards to the phone, and the page's
// keypad reaches it as RFC 4733 events. Inbound: a
// phone dials the sender's number; the desk app in Chromium answers. Each side
// must hear the other's tone: the browser in the page, the phone in its recording.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import { mediaAddress, startTelephone, type Telephone } from '../support/baresip.js';
import {
  BROWSER_HZ,
  expectPhoneHeard,
  MOBILE,
  MOBILE_IP,
  PHONE_HZ,
  startMobile,
} from '../support/phone-audio.js';
import { expectTone } from '../support/media-probe.js';
import { launchChromium, loggedInContext } from '../support/chromium.js';
import { freePortRange } from '../support/free-port.js';
import { createLink, randomEmail, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

/** A phone that calls in, through the same carrier's edge. */
const CALLER_IP = '127.0.0.6';
const DID = '+15550002222';

let server: RunningServer;
let browser: Browser;
let mobile: Telephone;
let sender: Sender;
let sipPort: number;
const email = randomEmail();

beforeAll(async () => {
  const mobilePort = await freePortRange(1);
  sipPort = await freePortRange(1);
  mobile = startMobile(mobilePort);
  const trunks = [
    {
      name: 'pstn',
      host: MOBILE_IP,
      port: mobilePort,
      callerId: '+15550001111',
      // A G.711 carrier: browsers must switch their microphone to PCMU.
      codecs: ['PCMU'],
      allowFrom: [CALLER_IP],
      optionsIntervalSeconds: 1,
    },
  ];
  server = await startServer({
    ...(process.env.DEBUG_PHONE ? { LOG_LEVEL: 'trace' } : {}),
    // Media where baresip sends from (see mediaAddress).
    RTC_LISTEN_IP: mediaAddress(),
    SIP_PORT: String(sipPort),
    SIP_TRUNKS: JSON.stringify(trunks),
    SIP_NUMBERS: JSON.stringify([{ number: DID, email }]),
  });
  browser = await launchChromium({ microphoneWav: toneWav(BROWSER_HZ) });
  sender = await signUp(server.url, 'Ada Lovelace', email);
});

afterAll(async () => {
  if (process.env.DEBUG_PHONE) console.log(server.output(), mobile.output());
  await browser.close();
  await server.stop();
  await mobile.stop();
});

async function latestCall(): Promise<CallRecordView | undefined> {
  return ((await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[])[0];
}

describe('calls with telephones', () => {
  it('forwards a reply call to the sender’s phone: audio both ways, leg recorded', async () => {
    const saved = await sender.api('PUT', '/api/me/phones', {
      // baresip auto-answers and presses nothing: no "press 1" here (phone-confirmation tests).
      phones: [{ number: MOBILE, label: 'Mobile', askToPress1: false }],
    });
    expect(saved.status).toBe(200);
    const link = await createLink(sender, { recipientName: 'Grace' });
    await expect
      .poll(async () => await (await fetch(`${server.url}/metrics`)).text(), { timeout: 10_000 })
      .toContain('voxreply_sip_trunk_up{trunk="pstn"} 1');

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    // No device online: the phone is called at once; baresip answers.
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    await expectTone(page, PHONE_HZ);
    // The keypad reaches the phone as RFC 4733 events (a menu: "press 1").
    const keypad = page.getByRole('group', { name: 'Keypad' });
    await keypad.getByRole('button', { name: '1' }).click();
    await keypad.getByRole('button', { name: '#' }).click();
    await expect
      .poll(() => mobile.output(), { timeout: 5000 })
      .toContain("received event: '1' (end=1)");
    await expect
      .poll(() => mobile.output(), { timeout: 5000 })
      .toContain("received event: '#' (end=1)");
    // Let the phone record a few seconds of the caller.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Call ended');
    await expectPhoneHeard(mobile, BROWSER_HZ);

    const call = await latestCall();
    expect(call).toMatchObject({ outcome: 'answered', answeredOn: `Mobile (${MOBILE})` });
    expect(call?.phoneLegs).toEqual([
      expect.objectContaining({ number: MOBILE, trunk: 'pstn', result: 'answered' }),
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('rings the desk app when a phone dials the sender’s number: audio both ways', async () => {
    const context = await loggedInContext(browser, server.url, sender.cookie);
    const desk = await context.newPage();
    await desk.goto(`${server.url}/app`);
    await expect
      .poll(() => desk.locator('#connection').getAttribute('data-connection-state'))
      .toBe('connected');

    const caller = startTelephone({
      ip: CALLER_IP,
      port: await freePortRange(1),
      number: '+15559998888',
      microphoneWav: toneWav(PHONE_HZ, 30, 8000),
      dial: `sip:${DID}@${mediaAddress()}:${String(sipPort)}`,
    });
    try {
      const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
      await expect.poll(() => dialog.isVisible(), { timeout: 10_000 }).toBe(true);
      expect(await dialog.textContent()).toContain('Phone +15559998888 is calling');
      await dialog.getByRole('button', { name: 'Answer', exact: true }).click();
      await expectTone(desk, PHONE_HZ);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await desk.getByRole('button', { name: 'Hang up' }).click();
      await expectPhoneHeard(caller, BROWSER_HZ);
    } finally {
      await caller.stop();
    }
    const call = await latestCall();
    expect(call).toMatchObject({ outcome: 'answered', callerName: 'Phone +15559998888' });
    await context.close();
  });
});

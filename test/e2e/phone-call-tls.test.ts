// Forwarding to a phone over a TLS trunk: baresip listens for SIP over TLS
// with its own certificate, which the server trusts through SIP_TLS_CA; the
// server has its own (SIP_TLS_CERT/KEY). A reply page calls a sender with no
// device online; the call reaches the phone over TLS and carries audio both ways.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import { mediaAddress, type Telephone } from '../support/baresip.js';
import { launchChromium } from '../support/chromium.js';
import { freePortRange } from '../support/free-port.js';
import {
  BROWSER_HZ,
  expectPhoneHeard,
  MOBILE,
  MOBILE_IP,
  PHONE_HZ,
  startMobile,
} from '../support/phone-audio.js';
import { expectTone } from '../support/media-probe.js';
import { createLink, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { selfSignedCertificate } from '../support/tls-certs.js';
import { toneWav } from '../support/tones.js';

let server: RunningServer;
let browser: Browser;
let mobile: Telephone;
let sender: Sender;

beforeAll(async () => {
  // baresip takes TLS on its SIP port + 1.
  const mobilePort = await freePortRange(2);
  const phoneCertificate = selfSignedCertificate([MOBILE_IP]);
  const ourCertificate = selfSignedCertificate(['127.0.0.1']);
  mobile = startMobile(mobilePort, phoneCertificate.both);
  server = await startServer({
    ...(process.env.DEBUG_PHONE ? { LOG_LEVEL: 'trace' } : {}),
    // Media where baresip sends from (see mediaAddress).
    RTC_LISTEN_IP: mediaAddress(),
    SIP_PORT: String(await freePortRange(1)),
    SIP_TLS_PORT: String(await freePortRange(1)),
    SIP_TLS_CERT: ourCertificate.cert,
    SIP_TLS_KEY: ourCertificate.key,
    SIP_TLS_CA: phoneCertificate.cert,
    SIP_TRUNKS: JSON.stringify([
      {
        name: 'secure',
        host: MOBILE_IP,
        port: mobilePort + 1,
        transport: 'tls',
        codecs: ['PCMU'],
        optionsIntervalSeconds: 1,
      },
    ]),
  });
  browser = await launchChromium({ microphoneWav: toneWav(BROWSER_HZ) });
  sender = await signUp(server.url, 'Ada Lovelace');
});

afterAll(async () => {
  if (process.env.DEBUG_PHONE) console.log(server.output(), mobile.output());
  await browser.close();
  await server.stop();
  await mobile.stop();
});

describe('a TLS trunk', () => {
  it('carries a forwarded call to the phone, audio both ways', async () => {
    const saved = await sender.api('PUT', '/api/me/phones', {
      // baresip auto-answers and presses nothing: no "press 1" here (phone-confirmation tests).
      phones: [{ number: MOBILE, label: 'Mobile', askToPress1: false }],
    });
    expect(saved.status).toBe(200);
    await expect
      .poll(async () => await (await fetch(`${server.url}/metrics`)).text(), { timeout: 10_000 })
      .toContain('voxreply_sip_trunk_up{trunk="secure"} 1');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const page = await browser.newPage();
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    await expectTone(page, PHONE_HZ);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expectPhoneHeard(mobile, BROWSER_HZ);
    // It went over TLS: baresip saw the call on its TLS port.
    expect(mobile.output()).toMatch(/Call established/);
    const calls = (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
    expect(calls[0]?.phoneLegs).toEqual([
      expect.objectContaining({ number: MOBILE, trunk: 'secure', result: 'answered' }),
    ]);
    await page.close();
  });
});

// "Ask me to press 1" (issue 19) against real carriers (sipp): a forwarded
// call is connected only when a person takes it. Checked from what users
// notice: the reply page in Chromium ("Connected" or "Leave a voice message",
// what the caller hears), the carrier's own view (its scenario fails on a BYE
// that comes too early or never), and the call history.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  carrierHarness,
  DESK,
  MOBILE,
  record,
  type Harness,
} from '../support/carrier-harness.js';
import { launchChromium } from '../support/chromium.js';
import { expectTone } from '../support/media-probe.js';
import { createLink, ok } from '../support/sender.js';
import { toneWav } from '../support/tones.js';

const setUp = carrierHarness();
/** The sender's numbers as a sender leaves them: "ask me to press 1" on (the default). */
const ASKING_MOBILE = { number: MOBILE.number, label: MOBILE.label };
const ASKING_DESK = { number: DESK.number, label: DESK.label };
/** What the page's microphone says. */
const CALLER_HZ = 880;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium({ microphoneWav: toneWav(CALLER_HZ) });
});
afterAll(async () => {
  await browser.close();
});

/** A reply page in Chromium calls the sender; every status line it shows is kept. */
async function pageCalls(h: Harness): Promise<{ page: Page; statuses: () => Promise<string[]> }> {
  const { token } = await createLink(h.sender, { recipientName: 'Grace' });
  const page = await browser.newPage();
  await page.goto(`${h.server.url}/r/${token}`);
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { statuses: string[] }).statuses = seen;
    const status = document.querySelector('[role=status]');
    if (!status) return;
    new MutationObserver(() => seen.push(status.textContent)).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  return {
    page,
    statuses: () => page.evaluate(() => (window as unknown as { statuses: string[] }).statuses),
  };
}

describe('a forwarded call is connected only when a person presses 1', () => {
  it('never connects a mailbox that answers: hung up after 12 s, the page offers a voice message', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-mailbox' }], [ASKING_MOBILE]);
    const { page, statuses } = await pageCalls(h);
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toBe("Calling Ada Lovelace's phone…");
    // The greeting plays to us meanwhile; the caller hears none of it.
    await page
      .getByRole('button', { name: 'Leave a voice message' })
      .waitFor({ state: 'visible', timeout: 25_000 });
    expect((await statuses()).filter((s) => s.startsWith('Connected'))).toEqual([]);
    // The mailbox got our BYE, and not before 11 s (its scenario fails otherwise).
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    const done = await findRecord(h, 'missed');
    expect(done?.answeredAt).toBeNull();
    expect(done?.phoneLegs).toEqual([
      expect.objectContaining({
        number: MOBILE.number,
        result: 'not confirmed (voicemail?)',
        answeredAt: null,
      }),
    ]);
    await page.close();
  });

  it('connects when the phone presses 1 (RFC 4733): the caller and the phone hear each other', async () => {
    const h = await setUp(
      [{ name: 'carrier-a', scenario: 'carrier-press-1', args: ['-rtp_echo'] }],
      [ASKING_MOBILE],
    );
    const { page, statuses } = await pageCalls(h);
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 15_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    // The phone sends back what it hears: the caller's own voice comes back
    // only through the phone, so it went there and came back.
    await expectTone(page, CALLER_HZ);
    expect((await statuses()).some((s) => s.startsWith('Calling Ada Lovelace'))).toBe(true);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    const done = await findRecord(h, 'answered');
    expect(done?.answeredOn).toBe(`Mobile (${MOBILE.number})`);
    expect(done?.phoneLegs).toEqual([
      expect.objectContaining({ number: MOBILE.number, result: 'confirmed by key 1' }),
    ]);
    await page.close();
  });

  it('connects on key 1 sent as SIP INFO (application/dtmf-relay)', async () => {
    const h = await setUp(
      [{ name: 'carrier-a', scenario: 'carrier-press-1-info' }],
      [ASKING_MOBILE],
    );
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 15_000 }).toContain('connected');
    expect(caller.stages.indexOf('calling_phone')).toBeLessThan(caller.stages.indexOf('connected'));
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    await expect
      .poll(async () => (await record(h, caller.callId))?.phoneLegs.map((l) => l.result), {
        timeout: 5000,
      })
      .toEqual(['confirmed by key 1']);
  });

  it('tells the caller "<name>’s phone is busy" when every number is, and offers a voice message', async () => {
    const h = await setUp(
      [{ name: 'carrier-a', scenario: 'carrier-busy-always' }],
      [ASKING_MOBILE, ASKING_DESK],
    );
    const { page, statuses } = await pageCalls(h);
    await page
      .getByRole('button', { name: 'Leave a voice message' })
      .waitFor({ state: 'visible', timeout: 15_000 });
    expect(await statuses()).toContain("Ada Lovelace's phone is busy");
    expect(await statuses()).not.toContain('No answer');
    await page.close();
  });
});

/** The sender's only call once it has ended with `outcome`. */
async function findRecord(h: Harness, outcome: string) {
  await expect.poll(async () => (await latest(h))?.outcome, { timeout: 5000 }).toBe(outcome);
  await expect
    .poll(async () => (await latest(h))?.phoneLegs.every((l) => l.result !== null), {
      timeout: 5000,
    })
    .toBe(true);
  return latest(h);
}

async function latest(h: Harness) {
  const calls = (await (await h.sender.api('GET', '/api/calls')).json()) as Awaited<
    ReturnType<typeof record>
  >[];
  return calls[0];
}

// The reply page stays live (issue 19, part 2), in real Chromium: the
// sender's status changes on the open page without a reload; while a call
// rings the caller hears the ringback (measured on the page's own audio
// output) in its 2 s on / 4 s off cadence and sees which step runs, and the
// ringback stops at the answer; "Call me back when they're free" tells the
// waiting page when the sender hangs up, lists the request on the desk, and
// the desk's Call rings the page, which answers into a call with audio both
// ways.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLER_HZ,
  SENDER_HZ,
  launchCallBrowsers,
  openDesk,
  type CallBrowsers,
} from '../support/browser-call.js';
import { expectTone } from '../support/media-probe.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import {
  connectCaller,
  createLink,
  signUp,
  startCall,
  type Sender,
  type TestCaller,
} from '../support/sender.js';

let server: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await server.stop();
});

/**
 * Taps every AudioContext's output before the page's scripts run: whatever
 * the page connects to its speakers also feeds an analyser, read by
 * `window.__levels(hz)` (the loudest level, in dB, at each frequency).
 */
async function tapAudioOutput(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const taps: { context: BaseAudioContext; analyser: AnalyserNode }[] = [];
    // Called with .call on each node: the unbound method is the point.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const connect = AudioNode.prototype.connect as (
      this: AudioNode,
      destination: AudioNode,
    ) => AudioNode;
    AudioNode.prototype.connect = function (this: AudioNode, ...args: unknown[]) {
      const destination = args[0];
      const result = (connect as (...a: unknown[]) => unknown).apply(this, args);
      if (destination instanceof AudioDestinationNode) {
        let tap = taps.find((t) => t.context === destination.context);
        if (!tap) {
          const analyser = destination.context.createAnalyser();
          analyser.fftSize = 8192;
          analyser.smoothingTimeConstant = 0;
          // A silent source keeps the analyser running once the page's sounds disconnect.
          const silence = destination.context.createConstantSource();
          silence.offset.value = 0;
          connect.call(silence, analyser);
          silence.start();
          tap = { context: destination.context, analyser };
          taps.push(tap);
        }
        connect.call(this, tap.analyser);
      }
      return result;
    } as typeof AudioNode.prototype.connect;
    (window as unknown as { __levels: (hz: number[]) => number[] }).__levels = (hz) =>
      hz.map((frequency) => {
        let loudest = -Infinity;
        for (const { context, analyser } of taps) {
          const bins = new Float32Array(analyser.frequencyBinCount);
          analyser.getFloatFrequencyData(bins);
          const bin = Math.round((frequency * analyser.fftSize) / context.sampleRate);
          for (const near of [bin - 1, bin, bin + 1])
            loudest = Math.max(loudest, bins[near] ?? -Infinity);
        }
        return loudest;
      });
  });
}

/** Whether the ringback's two tones sound, sampled every 100 ms for `ms`, measured in the page. */
function ringbackTimeline(page: Page, ms: number): Promise<boolean[]> {
  return page.evaluate(async (duration) => {
    const levels = (window as unknown as { __levels: (hz: number[]) => number[] }).__levels;
    const samples: boolean[] = [];
    const end = performance.now() + duration;
    while (performance.now() < end) {
      const [low, high] = levels([440, 480]);
      samples.push((low ?? -Infinity) > -70 && (high ?? -Infinity) > -70);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return samples;
  }, ms);
}

/** The longest runs of sounding and of silent samples. */
function longestRuns(samples: boolean[]): { on: number; off: number } {
  const runs = { on: 0, off: 0 };
  let current = 0;
  for (const [index, sample] of samples.entries()) {
    current = index > 0 && samples[index - 1] === sample ? current + 1 : 1;
    const kind = sample ? 'on' : 'off';
    runs[kind] = Math.max(runs[kind], current);
  }
  return runs;
}

/** Real input on the desk, once it said hello: the sender is available (not away). */
async function touch(desk: Page): Promise<void> {
  await expect.poll(() => desk.locator('#devices tr[data-device-state]').count()).toBe(1);
  await desk.mouse.move(40 + Math.random() * 20, 40);
  await desk.keyboard.press('Shift');
  await expect.poll(() => desk.locator('#devices tr[data-device-state="active"]').count()).toBe(1);
}

const senderLine = (page: Page) => page.locator('#sender-line').textContent();

/** A second recipient's call (a bare socket) that the desk answers: the sender is busy. */
async function busyWithAnotherCall(sender: Sender, desk: Page): Promise<TestCaller> {
  const alan = await connectCaller(server.url);
  const other = await createLink(sender, { recipientName: 'Alan' });
  await startCall(alan, other.token, 'Alan');
  const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
  await dialog.getByRole('button', { name: 'Answer', exact: true }).click({ timeout: 10_000 });
  await expect.poll(() => desk.locator('#in-call').isVisible()).toBe(true);
  return alan;
}

describe('the reply page stays live', () => {
  it("shows the sender's status as it changes, without a reload", async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const page = await browsers.caller.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/r/${link.token}`);
    await expect.poll(() => senderLine(page), { timeout: 5000 }).toBe('Ada Lovelace is offline.');

    const desk = await openDesk(browsers.sender, server.url, sender.cookie);
    await touch(desk.page);
    await expect.poll(() => senderLine(page)).toBe('Ada Lovelace is available.');

    const alan = await busyWithAnotherCall(sender, desk.page);
    await expect.poll(() => senderLine(page)).toBe('Ada Lovelace is in another call.');
    // Busy is when the offer to be called back shows.
    expect(
      await page.getByRole('button', { name: "Call me back when they're free" }).isVisible(),
    ).toBe(true);

    alan.socket.disconnect();
    await expect.poll(() => senderLine(page)).toBe('Ada Lovelace is available.');
    expect(errors).toEqual([]);
    await Promise.all([page.close(), desk.close()]);
  });

  it('rings back in cadence and shows the step, and the ringback stops at the answer', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const desk = await openDesk(browsers.sender, server.url, sender.cookie);
    await touch(desk.page);
    const page = await browsers.caller.newPage();
    await tapAudioOutput(page);
    await page.goto(`${server.url}/r/${link.token}`);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    const step = page.getByRole('list', { name: 'Ringing' }).locator('[aria-current="step"]');
    await expect.poll(() => step.textContent()).toBe("Ada Lovelace's most active device");

    // 440 Hz + 480 Hz, 2 s on and 4 s off: over 7 s both a burst and a pause are heard.
    const ringing = longestRuns(await ringbackTimeline(page, 7000));
    expect(ringing.on).toBeGreaterThanOrEqual(15);
    expect(ringing.on).toBeLessThanOrEqual(25);
    expect(ringing.off).toBeGreaterThanOrEqual(30);

    // The first stage (6 s) is over: every device rings.
    await expect
      .poll(() => step.textContent(), { timeout: 10_000 })
      .toBe("All of Ada Lovelace's devices");
    const dialog = desk.page.getByRole('dialog', { name: 'Incoming call' });
    await dialog.getByRole('button', { name: 'Answer', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toMatch(/^Connected \d+:\d\d$/);
    expect(await page.getByRole('list', { name: 'Ringing' }).isVisible()).toBe(false);
    // Over a whole cadence, not one sample of ringback (after the analyser's
    // 170 ms window has let go of the last sound before the answer).
    const answered = longestRuns((await ringbackTimeline(page, 7000)).slice(5));
    expect(answered.on).toBe(0);
    await expectTone(page, SENDER_HZ);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await Promise.all([page.close(), desk.close()]);
  });

  it('calls the recipient back: free-now on the page, the desk lists it and rings the page', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace', subject: 'Q3 plan' });
    const desk = await openDesk(browsers.sender, server.url, sender.cookie);
    await touch(desk.page);
    const page = await browsers.caller.newPage();
    const errors: string[] = [];
    for (const p of [page, desk.page]) p.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/r/${link.token}`);
    await expect.poll(() => senderLine(page)).toBe('Ada Lovelace is available.');

    const alan = await busyWithAnotherCall(sender, desk.page);
    await expect.poll(() => senderLine(page)).toBe('Ada Lovelace is in another call.');
    await page.getByRole('button', { name: "Call me back when they're free" }).click();
    const news = page.locator('#callback-text');
    await expect.poll(() => news.textContent()).toMatch(/^You asked Ada Lovelace to call you back/);

    const requests = desk.page.getByRole('region', { name: 'Asked to be called back' });
    const row = requests.getByRole('listitem').filter({ hasText: 'Grace' });
    await expect.poll(() => row.textContent()).toContain('Grace asked to be called back');
    expect(await row.textContent()).toContain('About: Q3 plan');

    // The sender hangs up: they are free, and the waiting page hears it.
    await desk.page.getByRole('button', { name: 'Hang up' }).click();
    await expect
      .poll(() => news.textContent(), { timeout: 5000 })
      .toBe('Ada Lovelace is free now.');
    expect(await page.getByRole('button', { name: 'Call now' }).isVisible()).toBe(true);
    alan.socket.disconnect();

    // The desk calls back: the page rings, answers, and they talk.
    await touch(desk.page);
    await row.getByRole('button', { name: 'Call Grace back' }).click();
    await expect.poll(() => news.textContent()).toBe('Ada Lovelace is calling you back…');
    await page.getByRole('button', { name: 'Answer', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(/^Connected \d+:\d\d$/);
    await expect.poll(() => desk.page.locator('#in-call').isVisible()).toBe(true);
    expect(await desk.page.getByRole('dialog', { name: 'Incoming call' }).isVisible()).toBe(false);
    await expectTone(page, SENDER_HZ);
    await expectTone(desk.page, CALLER_HZ);
    // Called back: the request is done.
    await expect.poll(() => requests.isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Call ended');
    expect(errors).toEqual([]);
    await Promise.all([page.close(), desk.close()]);
  });
});

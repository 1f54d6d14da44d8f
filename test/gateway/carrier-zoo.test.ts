// Carriers that behave badly, or just unusually (sipp scenarios), against
// phone forwarding (issue 15, items 3, 4 and 8). Checked from what users
// notice: the caller's stages ("Connected" only when audio flows, "Busy"),
// the carrier's audio reaching the caller, a voice message offered when no
// phone could take the call, our ACK and BYE reaching the carrier (its
// scenario exits 0 only after them), and the call record.
import { describe, expect, it } from 'vitest';
import type { CallerStage } from '../../protocol/call.js';
import {
  call,
  carrierHarness,
  DESK,
  MOBILE,
  record,
  type CallerView,
  type Harness,
} from '../support/carrier-harness.js';
import { launchChromium } from '../support/chromium.js';
import { dominantFrequency, expectTone, TOLERANCE_HZ } from '../support/media-probe.js';
import { createLink, ok } from '../support/sender.js';
import { toneWav } from '../support/tones.js';

const setUp = carrierHarness();

/** The phone's stream reached the page: its RTP flowed into the room (no SDP ssrc here). */
async function phoneStream(caller: CallerView, index = 0): Promise<string> {
  await expect
    .poll(() => caller.producers.filter((p) => p.kind === 'audio').length, { timeout: 8000 })
    .toBeGreaterThan(index);
  return caller.producers.filter((p) => p.kind === 'audio')[index]?.producerId ?? '';
}

/** The caller hangs up; the phone leg is recorded answered and the carrier had our BYE. */
async function hangUpAnswered(h: Harness, caller: CallerView): Promise<void> {
  ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
  await expect
    .poll(async () => (await record(h, caller.callId))?.phoneLegs.map((l) => l.result), {
      timeout: 5000,
    })
    .toEqual(['answered']);
  await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
}

/** Nobody took the call: it ends missed at `stage`, never connected. */
async function expectMissed(h: Harness, caller: CallerView, stage: CallerStage): Promise<void> {
  await expect.poll(() => caller.stages.at(-1), { timeout: 10_000 }).toBe(stage);
  expect(caller.stages).not.toContain('connected');
  await expect
    .poll(() => record(h, caller.callId))
    .toMatchObject({ outcome: 'missed', answeredAt: null, answeredOn: null });
}

/** The call record's legs as [number, result], once the last leg's row is written (just after the caller hears the end). */
async function expectLegs(h: Harness, caller: CallerView, legs: [string, string][]): Promise<void> {
  await expect
    .poll(async () => (await record(h, caller.callId))?.phoneLegs.map((l) => [l.number, l.result]))
    .toEqual(legs);
}

describe('carriers in the wild (issue 15)', () => {
  it.each([
    ['only G.729', 'carrier-early-g729-then-pcma'],
    ['its stream refused (port 0)', 'carrier-early-port0-then-pcma'],
  ])(
    'connects on the 200’s PCMA after an early SDP with %s: the carrier’s audio reaches the caller',
    async (_, scenario) => {
      const h = await setUp([{ name: 'carrier-a', scenario }]);
      const caller = await call(h);
      await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
      // The answer's media: the carrier's speech comes in as PCMA, and the
      // page is asked to send PCMA back.
      const stream = await phoneStream(caller);
      expect(await caller.receivedCodec(stream)).toBe('audio/PCMA');
      expect(caller.codecs.at(-1)).toMatchObject({ mimeType: 'audio/PCMA', clockRate: 8000 });
      await hangUpAnswered(h, caller);
    },
  );

  it('switches codec when another fork answers than the one that sent early media', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-forked-codec-switch' }]);
    const caller = await call(h);
    // Early media from the first fork, in PCMU.
    const early = await phoneStream(caller);
    expect(await caller.receivedCodec(early)).toBe('audio/PCMU');
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    // The answering fork talks PCMA: the phone's stream is made again with it,
    // and the page is told to send PCMA.
    await expect.poll(() => caller.closedProducers, { timeout: 5000 }).toContain(early);
    const answered = await phoneStream(caller, 1);
    expect(await caller.receivedCodec(answered)).toBe('audio/PCMA');
    expect(caller.codecs.map((c) => c.mimeType)).toEqual(['audio/PCMU', 'audio/PCMA']);
    await hangUpAnswered(h, caller);
  });

  it('plays both forks to the caller when each announces its own SSRC (a=ssrc) and codec', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-forked-ssrc-switch' }]);
    const browser = await launchChromium({ microphoneWav: toneWav(880) });
    try {
      const { token } = await createLink(h.sender, { recipientName: 'Grace' });
      const page = await browser.newPage();
      await page.goto(`${h.server.url}/r/${token}`);
      await page.getByRole('button', { name: 'Call', exact: true }).click();
      // Early media: the first fork's 440 Hz tone, its SDP's a=ssrc naming
      // another stream than its packets carry.
      await expectTone(page, 440);
      await expect
        .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
        .toMatch(/^Connected \d+:\d\d$/);
      // The answering fork's speech (PCMA, another a=ssrc): sound that is not
      // the tone, which stopped. Silence (0) would mean its packets were dropped.
      await expect
        .poll(
          async () => {
            const hz = await dominantFrequency(page, '#remote-media audio');
            return hz > 0 && Math.abs(hz - 440) > TOLERANCE_HZ;
          },
          { timeout: 6000, interval: 250 },
        )
        .toBe(true);
      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('hangs up answers with no usable SDP, tries the next number, then offers a voice message', async () => {
    const h = await setUp(
      [{ name: 'carrier-a', scenario: 'carrier-answer-unusable-sdp' }],
      [MOBILE, DESK],
    );
    const caller = await call(h);
    await expectMissed(h, caller, 'no_answer');
    await expectLegs(h, caller, [
      [MOBILE.number, 'unusable SDP: the answer has no SDP'],
      [DESK.number, 'unusable SDP: the answer has none of the offered codecs'],
    ]);
    // Each 200 got our ACK and BYE.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
  });

  it('ends answers with a Record-Route that is no URI (ACK and BYE without it), next number', async () => {
    const h = await setUp(
      [{ name: 'carrier-a', scenario: 'carrier-garbage-record-route' }],
      [MOBILE, DESK],
    );
    const caller = await call(h);
    await expectMissed(h, caller, 'no_answer');
    await expectLegs(h, caller, [
      [MOBILE.number, 'unusable Record-Route'],
      [DESK.number, 'unusable Record-Route'],
    ]);
    // ACK and BYE reached the carrier: at the 200's Contact, else the Request-URI.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
  });

  it('tells the caller the phone is busy when every number is, and offers a voice message', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-busy-always' }], [MOBILE, DESK]);
    const caller = await call(h);
    await expectMissed(h, caller, 'busy');
    await expectLegs(h, caller, [
      [MOBILE.number, '486 Busy Here'],
      [DESK.number, '486 Busy Here'],
    ]);
  });
});

// Ring plan stage 3 against real carriers (sipp scenarios): a sender with no
// device online and forwarding numbers gets the call on the phone. Checked
// from what users see: the caller's progress and media, the call record.
import { describe, expect, it } from 'vitest';
import { call, carrierHarness, MOBILE, record } from '../support/carrier-harness.js';
import { connectDevice, ok } from '../support/sender.js';

const setUp = carrierHarness();

describe('forwarding to the sender’s phone (stage 3)', () => {
  it('authenticates, plays the early media to the caller, connects, and records the leg', async () => {
    const h = await setUp([
      {
        name: 'carrier-a',
        scenario: 'carrier-digest-early-answer',
        username: 'voxreply',
        password: 'secret',
      },
    ]);
    const caller = await call(h);
    // No device online: the phone is called at once.
    await expect.poll(() => caller.stages).toContain('calling_phone');
    // The 183's media reaches the caller as a stream to play (ringback).
    await expect
      .poll(() => caller.producers.map((p) => p.kind), { timeout: 5000 })
      .toContain('audio');
    await expect.poll(() => caller.stages, { timeout: 5000 }).toContain('connected');
    // The browser is asked to send the codec the carrier chose: no transcoding.
    expect(caller.codecs.at(-1)).toMatchObject({ mimeType: 'audio/PCMU', clockRate: 8000 });
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    await expect
      .poll(async () => (await record(h, caller.callId))?.outcome, { timeout: 5000 })
      .toBe('answered');
    const done = await record(h, caller.callId);
    expect(done?.answeredOn).toBe('Mobile (+15551234567)');
    expect(done?.phoneLegs).toEqual([
      expect.objectContaining({ number: MOBILE.number, trunk: 'carrier-a', result: 'answered' }),
    ]);
    expect(done?.phoneLegs[0]?.durationSeconds).toBeGreaterThanOrEqual(0);
    // The carrier got our BYE (its scenario ends only after answering it).
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 5000 }).toBe(0);
  });

  it('tries the second trunk when the first answers 503', async () => {
    const h = await setUp([
      { name: 'carrier-a', scenario: 'carrier-unavailable' },
      { name: 'carrier-b', scenario: 'carrier-answer' },
    ]);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    await expect
      .poll(
        async () => (await record(h, caller.callId))?.phoneLegs.map((l) => [l.trunk, l.result]),
        {
          timeout: 5000,
        },
      )
      .toEqual([
        ['carrier-a', '503 Service Unavailable'],
        ['carrier-b', 'answered'],
      ]);
  });

  it('gives up on a trunk that does not answer an INVITE at all and tries the next', async () => {
    const h = await setUp([
      { name: 'carrier-a', scenario: 'carrier-silent' },
      { name: 'carrier-b', scenario: 'carrier-answer' },
    ]);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 10_000 }).toContain('connected');
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    await expect
      .poll(
        async () => (await record(h, caller.callId))?.phoneLegs.map((l) => [l.trunk, l.result]),
        { timeout: 5000 },
      )
      .toEqual([
        ['carrier-a', 'no response from the trunk'],
        ['carrier-b', 'answered'],
      ]);
  });

  it('sends CANCEL when the caller hangs up while the phone rings', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-ring-until-cancel' }]);
    const caller = await call(h);
    await expect.poll(() => caller.stages).toContain('calling_phone');
    // Wait for the 180 to be in (a CANCEL must follow a provisional answer).
    await new Promise((resolve) => setTimeout(resolve, 500));
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    // The carrier saw CANCEL, answered 487 and got its ACK.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    const done = await record(h, caller.callId);
    expect(done?.outcome).toBe('cancelled');
    expect(done?.phoneLegs.map((l) => l.result)).toEqual(['cancelled']);
  });

  it('ends the call for the caller when the phone hangs up first', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-answer-then-hangup' }]);
    const caller = await call(h);
    const ended = new Promise((resolve) => caller.socket.once('call:ended', resolve));
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    await expect(ended).resolves.toMatchObject({ callId: caller.callId, by: 'sender' });
    await expect.poll(() => caller.stages).toContain('ended');
    await expect
      .poll(async () => (await record(h, caller.callId))?.phoneLegs[0]?.result, { timeout: 5000 })
      .toBe('answered');
  });

  it('refuses an in-dialog BYE without the dialog’s tag (481) and keeps the call', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-spoofed-bye' }]);
    const caller = await call(h);
    const ended = new Promise((resolve) => caller.socket.once('call:ended', resolve));
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    // The carrier got its 481 for the spoofed BYE, then ended the call for real.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 8000 }).toBe(0);
    await expect(ended).resolves.toMatchObject({ by: 'sender' });
  });

  it('hangs up the phone with BYE when the server shuts down mid-call', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-answer' }]);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    expect((await h.server.stop()).code).toBe(0);
    // The carrier's scenario ends (exit 0) only once it has had our BYE.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 5000 }).toBe(0);
  });

  it('completes through 10% packet loss (UDP retransmissions)', async () => {
    const h = await setUp([
      { name: 'carrier-a', scenario: 'carrier-answer', args: ['-lost', '10'] },
    ]);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 20_000 }).toContain('connected');
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    await expect
      .poll(async () => (await record(h, caller.callId))?.phoneLegs[0]?.result, { timeout: 5000 })
      .toBe('answered');
  });

  it('shows the caller "on hold" while the phone holds, and answers each re-INVITE in kind', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-answer-hold' }]);
    const caller = await call(h);
    await expect
      .poll(() => caller.stages.slice(-3), { timeout: 8000 })
      .toEqual(['connected', 'on_hold', 'connected']);
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    // The carrier checked a=recvonly, then a=sendrecv, in our answers, then got our BYE.
    await expect.poll(() => h.carriers[0]?.process.exitCode, { timeout: 5000 }).toBe(0);
  });

  it('forwards at once when a ringing device presses "Send to my phone"', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-answer' }]);
    const laptop = await connectDevice(h.server.url, h.sender, 'Laptop');
    const caller = await call(h);
    await expect.poll(() => laptop.rings.length).toBe(1);
    expect(laptop.rings[0]?.canSendToPhone).toBe(true);
    ok(await laptop.socket.emitWithAck('call:sendToPhone', { callId: caller.callId }));
    await expect
      .poll(() => laptop.ringEnds)
      .toContainEqual({ callId: caller.callId, reason: 'forwarded_to_phone' });
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
    laptop.socket.disconnect();
  });
});

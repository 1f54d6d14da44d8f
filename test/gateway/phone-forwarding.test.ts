// Ring plan stage 3 against real carriers (sipp scenarios): a sender with no
// device online and forwarding numbers gets the call on the phone. Checked
// from what users see: the caller's progress and media, the call record.
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import type { ProducerInfo, SendCodecRequest } from '../../protocol/media.js';
import { freePortRange } from '../support/free-port.js';
import {
  connectCaller,
  connectDevice,
  createLink,
  ok,
  signUp,
  type Sender,
  type TestCaller,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { sippServer } from '../support/sipp.js';

const CARRIER_IP = '127.0.0.2';
const MOBILE = { number: '+15551234567', label: 'Mobile' };
const DESK = { number: '+15557654321', label: 'Desk phone' };

interface Carrier {
  name: string;
  scenario: string;
  /** Extra sipp arguments (e.g. packet loss). */
  args?: string[];
  username?: string;
  password?: string;
}

interface Harness {
  server: RunningServer;
  sender: Sender;
  carriers: (ReturnType<typeof sippServer> & { name: string })[];
}

let harness: Harness | undefined;

afterEach(async () => {
  if (!harness) return;
  for (const carrier of harness.carriers) await carrier.stop();
  await harness.server.stop();
  harness = undefined;
});

/** Carriers as sipp, the server with them as trunks (in order), a sender with numbers. */
async function setUp(carriers: Carrier[], numbers = [MOBILE]): Promise<Harness> {
  const sipPort = await freePortRange(1);
  const running = [];
  const trunks = [];
  for (const carrier of carriers) {
    const port = await freePortRange(1);
    running.push({
      name: carrier.name,
      ...sippServer(carrier.scenario, CARRIER_IP, port, carrier.args),
    });
    trunks.push({
      name: carrier.name,
      host: CARRIER_IP,
      port,
      callerId: '+15550001111',
      codecs: ['PCMU', 'PCMA'],
      optionsIntervalSeconds: 1,
      ...(carrier.username ? { username: carrier.username, password: carrier.password } : {}),
    });
  }
  const server = await startServer({
    SIP_PORT: String(sipPort),
    SIP_TRUNKS: JSON.stringify(trunks),
  });
  harness = { server, sender: await signUp(server.url), carriers: running };
  const saved = await harness.sender.api('PUT', '/api/me/phones', { phones: numbers });
  expect(saved.status).toBe(200);
  for (const carrier of carriers) {
    await expect.poll(() => trunkUp(server, carrier.name), { timeout: 8000 }).toBe(1);
  }
  return harness;
}

async function trunkUp(server: RunningServer, trunk: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`voxreply_sip_trunk_up{trunk="${trunk}"}`));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

interface CallerView extends TestCaller {
  callId: string;
  producers: ProducerInfo[];
  codecs: SendCodecRequest[];
}

async function call(h: Harness): Promise<CallerView> {
  const { token } = await createLink(h.sender, { recipientEmail: 'grace@example.org' });
  const caller = await connectCaller(h.server.url);
  const producers: ProducerInfo[] = [];
  const codecs: SendCodecRequest[] = [];
  caller.socket.on('media:newProducer', (producer) => producers.push(producer));
  caller.socket.on('media:sendCodec', (request) => codecs.push(request));
  const started = ok(
    await caller.socket.emitWithAck('call:start', { token, callerName: 'Grace Hopper' }),
  );
  return { ...caller, callId: started.callId, producers, codecs };
}

async function history(h: Harness): Promise<CallRecordView[]> {
  return (await (await h.sender.api('GET', '/api/calls')).json()) as CallRecordView[];
}

async function record(h: Harness, callId: string): Promise<CallRecordView | undefined> {
  return (await history(h)).find((c) => c.id === callId);
}

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

  it('moves to the next number when the first is busy, and ends with no answer', async () => {
    const h = await setUp([{ name: 'carrier-a', scenario: 'carrier-busy-always' }], [MOBILE, DESK]);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('no_answer');
    const done = await record(h, caller.callId);
    expect(done?.outcome).toBe('missed');
    expect(done?.phoneLegs.map((l) => [l.number, l.result])).toEqual([
      [MOBILE.number, '486 Busy Here'],
      [DESK.number, '486 Busy Here'],
    ]);
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

// Trunk health without OPTIONS (issue 15 item 6): carriers that ignore pings
// are configured with optionsIntervalSeconds 0, count as up from the start and
// are judged by their answers to our INVITEs. Behaviour against real carriers
// (sipp scenarios), checked from what users and operators see: the caller's
// progress, the call record, /metrics. The state table itself is also checked
// in process, with a fake stack, where only timing matters (the hold-down).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SipRequest, SipStack } from '../../gateway/sip-stack.js';
import { HOLD_DOWN_MS, TrunkMonitor } from '../../gateway/trunk-monitor.js';
import { trunkSchema, type Trunk } from '../../gateway/trunks.js';
import {
  call,
  CARRIER_IP,
  MOBILE,
  record,
  type CallerView,
  type Harness,
  trunkUp,
} from '../support/carrier-harness.js';
import { freePortRange } from '../support/free-port.js';
import { ok, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { sippServer } from '../support/sipp.js';

interface Carrier {
  name: string;
  scenario: string;
  /** 0: never pinged. */
  optionsIntervalSeconds: number;
}

/** What afterEach stops: the carriers even when the server refused to start. */
let carriers: Harness['carriers'] = [];
let server: RunningServer | undefined;

afterEach(async () => {
  vi.useRealTimers();
  for (const carrier of carriers) await carrier.stop();
  await server?.stop();
  carriers = [];
  server = undefined;
});

/**
 * Like carrier-harness's set-up, but with each trunk's optionsIntervalSeconds
 * and without waiting for the trunks to be up (some never are).
 */
async function setUp(wanted: Carrier[]): Promise<Harness> {
  const sipPort = await freePortRange(1);
  const trunks = [];
  for (const carrier of wanted) {
    const port = await freePortRange(1);
    carriers.push({ name: carrier.name, ...sippServer(carrier.scenario, CARRIER_IP, port) });
    trunks.push({
      name: carrier.name,
      host: CARRIER_IP,
      port,
      callerId: '+15550001111',
      codecs: ['PCMU', 'PCMA'],
      optionsIntervalSeconds: carrier.optionsIntervalSeconds,
    });
  }
  server = await startServer({ SIP_PORT: String(sipPort), SIP_TRUNKS: JSON.stringify(trunks) });
  const sender = await signUp(server.url);
  const saved = await sender.api('PUT', '/api/me/phones', { phones: [MOBILE] });
  expect(saved.status).toBe(200);
  return { server, sender, carriers };
}

async function hangup(caller: CallerView): Promise<void> {
  ok(await caller.socket.emitWithAck('call:hangup', { callId: caller.callId }));
}

/** The call's phone legs as [trunk, result]. */
async function legs(h: Harness, callId: string): Promise<(string | null)[][] | undefined> {
  return (await record(h, callId))?.phoneLegs.map((l) => [l.trunk, l.result]);
}

describe('trunks that are never pinged (optionsIntervalSeconds 0)', () => {
  it('forwards through a carrier that ignores OPTIONS', async () => {
    const h = await setUp([
      { name: 'quiet', scenario: 'carrier-ignores-options', optionsIntervalSeconds: 0 },
    ]);
    // Up from the start: nothing to wait for.
    expect(await trunkUp(h.server.url, 'quiet')).toBe(1);
    const caller = await call(h);
    await expect.poll(() => caller.stages, { timeout: 8000 }).toContain('connected');
    expect(caller.stages).not.toContain('no_answer');
    await hangup(caller);
    await expect
      .poll(() => legs(h, caller.callId), { timeout: 5000 })
      .toEqual([['quiet', 'answered']]);
    expect(await trunkUp(h.server.url, 'quiet')).toBe(1);
  });

  it('(pinged, for contrast) keeps such a carrier down: calls never reach it', async () => {
    const h = await setUp([
      { name: 'quiet', scenario: 'carrier-ignores-options', optionsIntervalSeconds: 1 },
    ]);
    const caller = await call(h);
    await expect
      .poll(() => caller.stages.some((s) => s === 'no_answer' || s === 'unavailable'), {
        timeout: 8000,
      })
      .toBe(true);
    expect(caller.stages).not.toContain('calling_phone');
    expect(await trunkUp(h.server.url, 'quiet')).toBe(0);
  });

  it('marks a trunk down on 503 and skips it for the next call', async () => {
    const h = await setUp([
      { name: 'overloaded', scenario: 'carrier-unavailable-always', optionsIntervalSeconds: 0 },
      { name: 'quiet', scenario: 'carrier-ignores-options', optionsIntervalSeconds: 0 },
    ]);
    expect(await trunkUp(h.server.url, 'overloaded')).toBe(1);
    // First call: the 503 sends it on to the second trunk, for the same number.
    const first = await call(h);
    await expect.poll(() => first.stages, { timeout: 8000 }).toContain('connected');
    expect(await trunkUp(h.server.url, 'overloaded')).toBe(0);
    expect(await trunkUp(h.server.url, 'quiet')).toBe(1);
    await hangup(first);
    await expect
      .poll(() => legs(h, first.callId), { timeout: 5000 })
      .toEqual([
        ['overloaded', '503 Service Unavailable'],
        ['quiet', 'answered'],
      ]);
    // Second call, within the hold-down: no attempt on the trunk that is down.
    const second = await call(h);
    await expect.poll(() => second.stages, { timeout: 8000 }).toContain('connected');
    await hangup(second);
    await expect
      .poll(() => legs(h, second.callId), { timeout: 5000 })
      .toEqual([['quiet', 'answered']]);
    expect(await trunkUp(h.server.url, 'overloaded')).toBe(0);
  });
});

describe('SIP trunk configuration: optionsIntervalSeconds', () => {
  it('stops start-up on a negative interval, naming SIP_TRUNKS and the field', async () => {
    await expect(
      startServer({
        SIP_TRUNKS: '[{"name":"carrier","host":"127.0.0.2","optionsIntervalSeconds":-1}]',
      }),
    ).rejects.toThrow(/SIP_TRUNKS 0\.optionsIntervalSeconds: must be 0 \(never ping\) or more/);
  });

  it('accepts 0 (never ping)', () => {
    const trunk = trunkSchema.parse({ name: 'carrier', host: 'x', optionsIntervalSeconds: 0 });
    expect(trunk.optionsIntervalSeconds).toBe(0);
  });
});

/**
 * A stack that records OPTIONS and answers them as told: only for the
 * monitor's state table, where real time (a 60 s hold-down) would not do.
 */
function fakeStack(answer: () => number | undefined): SipStack & { pings: SipRequest[] } {
  const pings: SipRequest[] = [];
  return {
    pings,
    host: '127.0.0.1',
    port: 5060,
    contact: () => 'sip:voxreply@127.0.0.1:5060',
    request: (request, onResponse) => {
      pings.push(request);
      const status = answer();
      if (status !== undefined) onResponse({ status, reason: 'Answer', headers: {} }, false);
    },
    respond: () => undefined,
    close: () => undefined,
  };
}

describe('the trunk state table (in process)', () => {
  // Parsed in each test: on a schema that refused 0, only that test fails.
  const quiet = (): Trunk =>
    trunkSchema.parse({ name: 'quiet', host: 'x', optionsIntervalSeconds: 0 });
  const pinged = (): Trunk =>
    trunkSchema.parse({ name: 'pinged', host: 'y', optionsIntervalSeconds: 30 });

  it('never pings a trunk at 0; it is up, down for the hold-down after a failure, then up', () => {
    vi.useFakeTimers();
    const stack = fakeStack(() => 200);
    const monitor = new TrunkMonitor(stack, [quiet()]);
    const changes: [string, boolean][] = [];
    monitor.on('changed', (trunk, up) => changes.push([trunk, up]));
    monitor.start();
    expect(monitor.isUp('quiet')).toBe(true);
    monitor.trunkResult('quiet', true);
    monitor.trunkResult('quiet', false);
    expect(monitor.isUp('quiet')).toBe(false);
    vi.advanceTimersByTime(HOLD_DOWN_MS - 1);
    expect(monitor.isUp('quiet')).toBe(false);
    vi.advanceTimersByTime(1);
    expect(monitor.isUp('quiet')).toBe(true);
    // An answer during a hold-down ends it at once.
    monitor.trunkResult('quiet', false);
    monitor.trunkResult('quiet', true);
    expect(monitor.isUp('quiet')).toBe(true);
    vi.advanceTimersByTime(10 * HOLD_DOWN_MS);
    expect(stack.pings).toEqual([]);
    // Only changes are events (metrics and logs follow them).
    expect(changes).toEqual([
      ['quiet', false],
      ['quiet', true],
      ['quiet', false],
      ['quiet', true],
    ]);
    monitor.close();
  });

  it('a failure during a hold-down starts it again', () => {
    vi.useFakeTimers();
    const monitor = new TrunkMonitor(
      fakeStack(() => undefined),
      [quiet()],
    );
    monitor.start();
    monitor.trunkResult('quiet', false);
    vi.advanceTimersByTime(HOLD_DOWN_MS / 2);
    monitor.trunkResult('quiet', false);
    vi.advanceTimersByTime(HOLD_DOWN_MS / 2);
    expect(monitor.isUp('quiet')).toBe(false);
    vi.advanceTimersByTime(HOLD_DOWN_MS / 2);
    expect(monitor.isUp('quiet')).toBe(true);
    monitor.close();
  });

  it('lets OPTIONS alone decide for a pinged trunk', () => {
    vi.useFakeTimers();
    let status = 200;
    const stack = fakeStack(() => status);
    const monitor = new TrunkMonitor(stack, [pinged()]);
    monitor.start();
    expect(stack.pings).toHaveLength(1);
    expect(monitor.isUp('pinged')).toBe(true);
    // INVITE results do not move it either way.
    monitor.trunkResult('pinged', false);
    expect(monitor.isUp('pinged')).toBe(true);
    status = 503;
    vi.advanceTimersByTime(30_000);
    expect(monitor.isUp('pinged')).toBe(false);
    monitor.trunkResult('pinged', true);
    expect(monitor.isUp('pinged')).toBe(false);
    monitor.close();
  });
});

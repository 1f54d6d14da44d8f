// A stranger's flood against the real gateway and SIP stack, in this process
// so that its heap can be read after a full collection: whatever the flood
// limit refuses must leave nothing behind (issue 15: 2.1 KB kept per refused
// request; 20,000 OPTIONS grew the heap by 41 MB).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../support/free-port.js';
import { sipRequest, statusOf, UdpPeer } from '../support/raw-sip.js';
import { floodOptions, floodTarget, heapAfterGc } from '../support/sip-flood.js';
import { sippClient } from '../support/sipp.js';

const FLOODER_IP = '127.0.0.9';
/** The flood: one source at 3,000 packets a second. */
const RATE = 3000;
const SECONDS = 8;

let gateway: ReturnType<typeof floodTarget>;
let port: number;

beforeAll(async () => {
  port = await freePortRange(1);
  gateway = floodTarget(port);
  await new Promise((resolve) => setTimeout(resolve, 200));
});

afterAll(async () => {
  await gateway.close();
});

describe('a flood from one stranger', () => {
  it('keeps the heap flat and everyone else served', async () => {
    const before = await heapAfterGc();
    const { sent, answered } = await floodOptions(
      { ip: '127.0.0.1', port },
      FLOODER_IP,
      RATE,
      SECONDS,
    );
    const after = await heapAfterGc();
    const grownMb = (after - before) / 2 ** 20;
    expect(sent).toBeGreaterThan(RATE * SECONDS * 0.8);
    // 20 a second are answered, the rest dropped.
    expect(answered).toBeLessThanOrEqual(20 * (SECONDS + 2));
    expect(
      grownMb,
      `heap grew ${grownMb.toFixed(1)} MB over ${String(sent)} requests`,
    ).toBeLessThan(4);
    // Another source is still served.
    expect(
      await sippClient('ping-gateway', `127.0.0.1:${String(port)}`, await freePortRange(1)),
    ).toBe(0);
  });

  it('spends the strangers’ shared budget without shutting out a trunk’s server', async () => {
    const target = { ip: '127.0.0.1', port };
    // Six strangers: 120 a second would pass their own limits, the shared 100 does not.
    const floods = [
      '127.0.0.21',
      '127.0.0.22',
      '127.0.0.23',
      '127.0.0.24',
      '127.0.0.25',
      '127.0.0.26',
    ];
    const flooding = Promise.all(floods.map((ip) => floodOptions(target, ip, 300, 3)));
    // The trunk's own server (127.0.0.2, its host) pings us meanwhile: every ping answered.
    const trunk = await UdpPeer.open('127.0.0.2');
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await trunk.send(sipRequest({ method: 'OPTIONS', to: target, from: trunk.endpoint }), target);
    }
    const results = await flooding;
    await new Promise((resolve) => setTimeout(resolve, 300));
    trunk.close();
    expect(trunk.received.map((m) => statusOf(m.text))).toEqual(Array(10).fill(200));
    const answered = results.reduce((sum, r) => sum + r.answered, 0);
    expect(answered).toBeLessThanOrEqual(100 * 4);
  });
});

// The gateway's SIP edge against hand-made messages from raw sockets: what
// RFC 3261 asks of every answer (To tags, 505, 481), retransmission timers
// capped at T2, a large pipelined TCP write, and a trunk beside us on our own
// address. The built server runs as a child process, as in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trunkUp } from '../support/carrier-harness.js';
import { freePortRange } from '../support/free-port.js';
import { headerOf, sipRequest, statusOf, TcpPeer, UdpPeer } from '../support/raw-sip.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { sippServer } from '../support/sipp.js';

/** A trunk that never answers: the gateway's pings to it are retransmitted. */
const SILENT_TRUNK_IP = '127.0.0.6';
/** The trunk's edge that may send us calls. */
const TRUNK_EDGE_IP = '127.0.0.7';
const STRANGER_IP = '127.0.0.8';

let server: RunningServer;
let gateway: { ip: string; port: number };
let silentTrunk: UdpPeer;
/** A PBX on the gateway's own address (another port), answering OPTIONS. */
let pbx: ReturnType<typeof sippServer>;

/** Sends one request from a fresh socket on `ip`; resolves every response within `ms`. */
async function exchange(
  ip: string,
  build: (from: { ip: string; port: number }) => string,
  ms = 600,
): Promise<string[]> {
  const peer = await UdpPeer.open(ip);
  try {
    await peer.send(build(peer.endpoint), gateway);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return peer.received.map((m) => m.text);
  } finally {
    peer.close();
  }
}

beforeAll(async () => {
  const sipPort = await freePortRange(1);
  gateway = { ip: '127.0.0.1', port: sipPort };
  silentTrunk = await UdpPeer.open(SILENT_TRUNK_IP);
  const pbxPort = await freePortRange(1);
  pbx = sippServer('carrier-answers-options', '127.0.0.1', pbxPort);
  const trunks = [
    {
      name: 'silent',
      host: SILENT_TRUNK_IP,
      port: silentTrunk.endpoint.port,
      allowFrom: [TRUNK_EDGE_IP],
      optionsIntervalSeconds: 60,
    },
    { name: 'pbx', host: '127.0.0.1', port: pbxPort, optionsIntervalSeconds: 1 },
  ];
  server = await startServer({
    SIP_PORT: String(sipPort),
    SIP_TRUNKS: JSON.stringify(trunks),
  });
});

afterAll(async () => {
  await pbx.stop();
  silentTrunk.close();
  await server.stop();
});

describe('answers as RFC 3261 asks', () => {
  it('puts a To tag on final answers to requests outside a dialog', async () => {
    const cases: [string, string, Record<string, string>, number][] = [
      ['OPTIONS', STRANGER_IP, {}, 200],
      ['INVITE', STRANGER_IP, {}, 403],
      ['INVITE', TRUNK_EDGE_IP, {}, 404],
      ['BYE', STRANGER_IP, {}, 481],
      ['SUBSCRIBE', STRANGER_IP, {}, 501],
    ];
    for (const [method, ip, headers, status] of cases) {
      const answers = await exchange(ip, (from) =>
        sipRequest({ method, to: gateway, from, headers }),
      );
      const final = answers.find((a) => statusOf(a) >= 200);
      expect(statusOf(final ?? ''), `${method} from ${ip}`).toBe(status);
      expect(headerOf(final ?? '', 'To'), `${method} ${String(status)}`).toMatch(/;tag=\w+/);
    }
  });

  it('answers 505 to a SIP version it does not speak', async () => {
    const answers = await exchange(STRANGER_IP, (from) =>
      sipRequest({ method: 'OPTIONS', to: gateway, from, version: '3.0' }),
    );
    expect(answers.map(statusOf)).toEqual([505]);
    expect(answers[0]).toMatch(/^SIP\/2\.0 505 /);
  });

  it('answers 481 to an INVITE with the To tag of a dialog it does not have', async () => {
    const answers = await exchange(TRUNK_EDGE_IP, (from) =>
      sipRequest({
        method: 'INVITE',
        to: gateway,
        from,
        headers: { To: `<sip:+15550001111@127.0.0.1>;tag=not-ours` },
        body: 'v=0\r\n',
      }),
    );
    // Retransmitted until an ACK (none comes here): the same answer each time.
    expect(new Set(answers.map(statusOf).filter((s) => s >= 200))).toEqual(new Set([481]));
  });

  it('answers 400 to a request whose Route or Contact is not a URI', async () => {
    for (const headers of [
      { Route: 'garbage' },
      { Contact: '<>' },
      { 'Record-Route': 'junk' },
      // A URI the parser reads, with a port no socket takes: sending there threw.
      { Contact: '<sip:x@127.0.0.7:99999>' },
    ]) {
      const answers = await exchange(TRUNK_EDGE_IP, (from) =>
        sipRequest({ method: 'OPTIONS', to: gateway, from, headers }),
      );
      expect(answers.map(statusOf), JSON.stringify(headers)).toEqual([400]);
    }
    // The same headers holding URIs are fine (the parser gives Route entries parsed).
    const routed = await exchange(TRUNK_EDGE_IP, (from) =>
      sipRequest({
        method: 'OPTIONS',
        to: gateway,
        from,
        headers: {
          Route: '<sip:edge@127.0.0.1;lr>',
          'Record-Route': '<sip:p1@127.0.0.7;lr>, <sip:p2@127.0.0.7;lr>',
          Contact: `<sip:tester@${from.ip}:${String(from.port)}>`,
        },
      }),
    );
    expect(routed.map(statusOf)).toEqual([200]);
  });
});

describe('transports and timers', () => {
  it('takes a large pipelined TCP write without resetting the connection', async () => {
    const peer = await TcpPeer.connect(gateway, TRUNK_EDGE_IP);
    const count = 400;
    const batch = Array.from({ length: count }, () =>
      sipRequest({ method: 'OPTIONS', to: gateway, from: peer.endpoint, transport: 'TCP' }),
    ).join('');
    expect(batch.length).toBeGreaterThan(100_000);
    await peer.write(batch);
    await expect
      .poll(() => peer.text.match(/^SIP\/2\.0 200 /gm)?.length ?? 0, { timeout: 10_000 })
      .toBe(count);
    expect(peer.closed).toBe(false);
    peer.close();
  });

  it('retransmits unanswered requests and unacknowledged answers no more than T2 (4 s) apart', async () => {
    // Our 403 to a stranger's INVITE is resent until its ACK (Timer G); none comes.
    const stranger = await UdpPeer.open(STRANGER_IP);
    await stranger.send(
      sipRequest({ method: 'INVITE', to: gateway, from: stranger.endpoint }),
      gateway,
    );
    // The first ping went out at start-up; its retransmissions double from
    // 0.5 s: 0.5, 1.5, 3.5, 7.5 s, then every 4 s (11.5, 15.5 ...), not 8 s later.
    const pings = (): number[] => {
      const first = silentTrunk.received[0];
      if (!first) return [];
      const callId = headerOf(first.text, 'Call-ID') ?? '';
      return silentTrunk.responsesTo(callId).map((m) => m.at - first.at);
    };
    await expect.poll(() => pings().length, { timeout: 20_000, interval: 250 }).toBeGreaterThan(6);
    const gaps = pings()
      .slice(1)
      .map((at, i) => at - (pings()[i] ?? 0));
    expect(Math.max(...gaps)).toBeLessThan(4_800);
    // 0.5, 1.5, 3.5, 7.5, 11.5 s: the fifth after 4 s, not 8.
    await expect
      .poll(() => stranger.received.length, { timeout: 14_000 })
      .toBeGreaterThanOrEqual(6);
    const answers = stranger.received.map((m) => m.at);
    const answerGaps = answers.slice(1).map((at, i) => at - (answers[i] ?? 0));
    stranger.close();
    expect(Math.max(...answerGaps)).toBeLessThan(4_800);
  });

  it('keeps a trunk on its own address (another port) up', async () => {
    await expect.poll(() => trunkUp(server.url, 'pbx'), { timeout: 8000 }).toBe(1);
  });

  it('closes a stream that announces a body past 64 kB, and caps a stranger at 4 connections', async () => {
    const big = await TcpPeer.connect(gateway, STRANGER_IP);
    await big.write(
      sipRequest({
        method: 'OPTIONS',
        to: gateway,
        from: big.endpoint,
        transport: 'TCP',
        headers: { 'Content-Length': '604800' },
      }),
    );
    // Buffering 600 kB per connection let a few thousand connections exhaust the heap.
    await expect.poll(() => big.closed).toBe(true);
    const connections = await Promise.all(
      Array.from({ length: 6 }, () => TcpPeer.connect(gateway, STRANGER_IP)),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connections.filter((c) => c.closed)).toHaveLength(2);
    // A trunk's address is not counted with the stranger's.
    const trusted = await TcpPeer.connect(gateway, TRUNK_EDGE_IP);
    await trusted.write(
      sipRequest({ method: 'OPTIONS', to: gateway, from: trusted.endpoint, transport: 'TCP' }),
    );
    await expect.poll(() => trusted.text).toMatch(/^SIP\/2\.0 200 /);
    for (const c of [...connections, trusted]) c.close();
  });
});

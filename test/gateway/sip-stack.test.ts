// The patched `sip` package through our adapter, in this process, against
// raw sockets: what the patch changed (patches/sip+0.0.6.patch, ADR 018)
// where no server-level test can see it.
import * as sip from 'sip';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNpmSipStack } from '../../gateway/npm-sip-stack.js';
import type { SipRequest, SipStack } from '../../gateway/sip-stack.js';
import { freePortRange } from '../support/free-port.js';
import { headerOf, TcpPeer, UdpPeer } from '../support/raw-sip.js';

let stack: SipStack | undefined;
const peers: UdpPeer[] = [];

afterEach(() => {
  stack?.close();
  stack = undefined;
  for (const peer of peers.splice(0)) peer.close();
});

async function start(): Promise<{ stack: SipStack; port: number; errors: unknown[] }> {
  const port = await freePortRange(1);
  const errors: unknown[] = [];
  stack = createNpmSipStack(
    { listenIp: '127.0.0.1', port, publicAddress: undefined, onError: (e) => errors.push(e) },
    (request) => stack?.respond(request, 200, 'OK'),
  );
  return { stack, port, errors };
}

async function peer(ip: string): Promise<UdpPeer> {
  const opened = await UdpPeer.open(ip);
  peers.push(opened);
  return opened;
}

function options(uri: string, route?: string[]): SipRequest {
  return {
    method: 'OPTIONS',
    uri,
    headers: {
      to: { uri, params: {} },
      from: { uri: 'sip:voxreply@127.0.0.1', params: { tag: 'x1' } },
      'call-id': `stack-test-${String(Math.random())}`,
      cseq: { method: 'OPTIONS', seq: 1 },
      via: [],
      'max-forwards': 70,
      ...(route ? { route: route.map((r) => ({ uri: r, params: {} })) } : {}),
    },
  };
}

describe('the patched SIP stack', () => {
  it('reports a send to a port no socket takes instead of crashing', async () => {
    const { stack: sip, errors } = await start();
    const answers: number[] = [];
    sip.request(options('sip:x@127.0.0.1:99999'), (response) => answers.push(response.status));
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Still here (the send threw on the next tick before the patch), and told why.
    expect(errors.map(String).join('\n')).toMatch(/port/i);
  });

  it('takes a Route naming us off and sends to the next hop', async () => {
    const { stack: sip, port } = await start();
    const next = await peer('127.0.0.11');
    const target = await peer('127.0.0.12');
    sip.request(
      options(`sip:x@127.0.0.12:${String(target.endpoint.port)}`, [
        `sip:127.0.0.1:${String(port)};lr`,
        `sip:127.0.0.11:${String(next.endpoint.port)};lr`,
      ]),
      () => undefined,
    );
    await expect.poll(() => next.received.length).toBeGreaterThan(0);
    // Loose routing: the next hop's own Route stays for it to remove; ours is gone.
    expect(headerOf(next.received[0]?.text ?? '', 'Route')).toBe(
      `<sip:127.0.0.11:${String(next.endpoint.port)};lr>`,
    );
    expect(target.received).toEqual([]);
  });

  it('retransmits a request answered only with 100 every T2 (4 s) until its final answer', async () => {
    const { stack: sip } = await start();
    const trunk = await peer('127.0.0.13');
    sip.request(options(`sip:x@127.0.0.13:${String(trunk.endpoint.port)}`), () => undefined);
    await expect.poll(() => trunk.received.length).toBe(1);
    const request = trunk.received[0]?.text ?? '';
    const trying = [
      'SIP/2.0 100 Trying',
      ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((h) => `${h}: ${headerOf(request, h) ?? ''}`),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const via = /SIP\/2\.0\/UDP ([\d.]+):(\d+)/.exec(headerOf(request, 'Via') ?? '');
    await trunk.send(trying, { ip: via?.[1] ?? '', port: Number(via?.[2]) });
    // Before the patch a 1xx stopped every retransmission (and the 32 s timeout).
    await expect
      .poll(() => trunk.received.length, { timeout: 9000, interval: 250 })
      .toBeGreaterThanOrEqual(3);
    const gap = (trunk.received[2]?.at ?? 0) - (trunk.received[1]?.at ?? 0);
    expect(gap).toBeGreaterThan(3500);
    expect(gap).toBeLessThan(4800);
  });

  it('reads headers that arrive a byte at a time over TCP', async () => {
    const { port } = await start();
    const connection = await TcpPeer.connect({ ip: '127.0.0.1', port }, '127.0.0.14');
    const from = connection.endpoint;
    const message = [
      `OPTIONS sip:voxreply@127.0.0.1:${String(port)} SIP/2.0`,
      `Via: SIP/2.0/TCP ${from.ip}:${String(from.port)};branch=z9hG4bKbytes`,
      `From: <sip:t@${from.ip}>;tag=b1`,
      `To: <sip:voxreply@127.0.0.1>`,
      'Call-ID: bytes@127.0.0.14',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    for (const byte of message) await connection.write(byte);
    await expect.poll(() => connection.text).toMatch(/^SIP\/2\.0 200 /);
    connection.close();
  });

  it('gives a peer 30 s to finish a message over a stream, however slowly it drips', () => {
    vi.useFakeTimers();
    try {
      let floods = 0;
      const parse = sip.makeStreamParser(
        () => undefined,
        () => (floods += 1),
      );
      parse('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKd\r\n');
      for (let minute = 0; minute < 2; minute++) {
        vi.advanceTimersByTime(20_000);
        parse('X');
      }
      expect(floods).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

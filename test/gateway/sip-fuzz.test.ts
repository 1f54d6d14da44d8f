// Malformed SIP at every log level: a fixed corpus of messages that broke the
// gateway once, then generated ones (test/support/sip-fuzz.ts), over UDP and
// TCP, from a trunk's address (trusted: they reach call handling) and from a
// stranger's. After each batch the server must still be running and answering.
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRange } from '../support/free-port.js';
import { sipRequest, TcpPeer, UdpPeer, type Endpoint } from '../support/raw-sip.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { fuzzMessages } from '../support/sip-fuzz.js';
import { sippClient } from '../support/sipp.js';

const TRUNK_EDGE_IP = '127.0.0.3';
const STRANGER_IP = '127.0.0.4';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** Generated messages per level and transport (a new seed per level). */
const GENERATED = 250;

/** Messages that each crashed or wedged the gateway once (issue 15). */
function knownBreakers(to: Endpoint, from: Endpoint): string[] {
  const request = (method: string, headers: Record<string, string>): string =>
    sipRequest({ method, to, from, headers });
  return [
    // The trace logger's stringify threw on a Route or Record-Route that is not a URI.
    request('OPTIONS', { Route: 'garbage' }),
    request('INVITE', { 'Record-Route': '<>' }),
    request('OPTIONS', { Contact: ';;' }),
    // Responses with the same defects.
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 INVITE\r\nRecord-Route: junk\r\nContent-Length: 0\r\n\r\n',
    // From and To without a URI: no answer can be written.
    request('OPTIONS', { From: ';tag=1', To: '' }),
    sipRequest({ method: 'OPTIONS', to, from, version: '3.0' }),
  ];
}

let server: RunningServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function sendUdp(from: string, to: Endpoint, messages: string[]): Promise<void> {
  const peer = await UdpPeer.open(from);
  for (const message of messages) await peer.send(message, to);
  peer.close();
}

/** Messages over TCP, 25 to a connection (the gateway may close one that floods). */
async function sendTcp(from: string, to: Endpoint, messages: string[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 25) {
    const peer = await TcpPeer.connect(to, from);
    await peer.write(messages.slice(i, i + 25).join(''));
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.close();
  }
}

describe('malformed SIP at every log level', () => {
  it.each(LEVELS)('LOG_LEVEL=%s: the server survives and keeps answering', async (level) => {
    const sipPort = await freePortRange(1);
    const gateway = { ip: '127.0.0.1', port: sipPort };
    server = await startServer({
      LOG_LEVEL: level,
      SIP_PORT: String(sipPort),
      SIP_TRUNKS: JSON.stringify([
        {
          name: 'carrier',
          host: '127.0.0.2',
          port: 9,
          allowFrom: [TRUNK_EDGE_IP],
          optionsIntervalSeconds: 3600,
        },
      ]),
      SIP_NUMBERS: JSON.stringify([{ number: '+15550001111', email: 'ada@example.org' }]),
    });
    const seed = LEVELS.indexOf(level) + 1;
    const from = { ip: TRUNK_EDGE_IP, port: 5999 };
    await sendUdp(TRUNK_EDGE_IP, gateway, knownBreakers(gateway, from));
    await sendUdp(TRUNK_EDGE_IP, gateway, fuzzMessages(gateway, from, GENERATED, seed));
    await sendUdp(
      STRANGER_IP,
      gateway,
      fuzzMessages(gateway, { ...from, ip: STRANGER_IP }, 15, seed),
    );
    await sendTcp(TRUNK_EDGE_IP, gateway, fuzzMessages(gateway, from, GENERATED, seed + 100));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const running = server.process.exitCode === null && server.process.signalCode === null;
    expect(running, `the server exited:\n${server.output().slice(-3000)}`).toBe(true);
    expect(
      await sippClient('ping-gateway', `127.0.0.1:${String(sipPort)}`, await freePortRange(1)),
    ).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

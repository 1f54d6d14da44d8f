// The SIP gateway against a real SIP peer (sipp): trunk health from OPTIONS
// pings, answering a carrier's pings, refusing unknown numbers and strangers,
// and shrugging off garbage.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trunkUp as carrierTrunkUp } from '../support/carrier-harness.js';
import { freePortRange } from '../support/free-port.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { sippClient, sippServer } from '../support/sipp.js';

const CARRIER_IP = '127.0.0.2';
/** The carrier's media/signalling edge that sends us calls (in the trunk's allowFrom). */
const CARRIER_EDGE_IP = '127.0.0.3';

let server: RunningServer;
let sipPort: number;
let carrierPort: number;
let carrier: ReturnType<typeof sippServer>;

const trunkUp = (): Promise<number> => carrierTrunkUp(server.url, 'carrier');

beforeAll(async () => {
  sipPort = await freePortRange(1);
  carrierPort = await freePortRange(1);
  carrier = sippServer('carrier-answers-options', CARRIER_IP, carrierPort);
  const trunks = [
    {
      name: 'carrier',
      host: CARRIER_IP,
      port: carrierPort,
      allowFrom: [CARRIER_EDGE_IP],
      optionsIntervalSeconds: 1,
    },
  ];
  server = await startServer({ SIP_PORT: String(sipPort), SIP_TRUNKS: JSON.stringify(trunks) });
});

afterAll(async () => {
  await carrier.stop();
  await server.stop();
});

describe('the SIP gateway', () => {
  it('marks a trunk up while it answers OPTIONS and down when it stops', async () => {
    await expect.poll(trunkUp, { timeout: 5000 }).toBe(1);
    await carrier.stop();
    // No answer within 5 s of a ping: down.
    await expect.poll(trunkUp, { timeout: 12_000, interval: 500 }).toBe(0);
    carrier = sippServer('carrier-answers-options', CARRIER_IP, carrierPort);
    await expect.poll(trunkUp, { timeout: 5000 }).toBe(1);
  });

  it("answers a carrier's OPTIONS with 200", async () => {
    expect(await sippClient('ping-gateway', `127.0.0.1:${sipPort}`, await freePortRange(1))).toBe(
      0,
    );
  });

  it("answers a trunk's INVITE to a number we do not have with 404", async () => {
    const code = await sippClient(
      'invite-unknown-number',
      `127.0.0.1:${sipPort}`,
      await freePortRange(1),
      CARRIER_EDGE_IP,
    );
    expect(code).toBe(0);
  });

  it('forbids an INVITE from a source no trunk allows', async () => {
    expect(
      await sippClient('invite-forbidden', `127.0.0.1:${sipPort}`, await freePortRange(1)),
    ).toBe(0);
  });

  it("drops a stranger's flood past its limit and keeps serving everyone else", async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.4', resolve));
    let answered = 0;
    socket.on('message', (message) => {
      if (message.toString().startsWith('SIP/2.0 200')) answered += 1;
    });
    const { port } = socket.address();
    for (let i = 0; i < 200; i++) {
      const options = [
        `OPTIONS sip:voxreply@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.4:${port};branch=z9hG4bKflood${i}`,
        `From: <sip:flood@127.0.0.4>;tag=f${i}`,
        `To: <sip:voxreply@127.0.0.1:${sipPort}>`,
        `Call-ID: flood-${i}@127.0.0.4`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(options, sipPort, '127.0.0.1');
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    socket.close();
    // 20 a second are answered; the burst of 200 is not.
    expect(answered).toBeGreaterThanOrEqual(15);
    expect(answered).toBeLessThanOrEqual(45);
    expect(await sippClient('ping-gateway', `127.0.0.1:${sipPort}`, await freePortRange(1))).toBe(
      0,
    );
  });

  it('drops garbage datagrams and keeps serving', async () => {
    const socket = dgram.createSocket('udp4');
    for (const junk of [
      'not sip at all',
      'INVITE\r\n\r\n',
      '\u0000'.repeat(2000),
      'SIP/2.0 200 OK\r\nVia: ???\r\n\r\n',
    ]) {
      await new Promise<void>((resolve) =>
        socket.send(junk, sipPort, '127.0.0.1', () => resolve()),
      );
    }
    socket.close();
    expect(await sippClient('ping-gateway', `127.0.0.1:${sipPort}`, await freePortRange(1))).toBe(
      0,
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('SIP trunk configuration', () => {
  it('stops start-up with a message naming SIP_TRUNKS', async () => {
    await expect(startServer({ SIP_TRUNKS: '[{"name":"bad name!","host":"x"}]' })).rejects.toThrow(
      /SIP_TRUNKS 0\.name: must be 1-40 letters, digits, _ or -/,
    );
  });
});

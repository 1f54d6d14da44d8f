// The SIP gateway against a real SIP peer (sipp): trunk health from OPTIONS
// pings, answering a carrier's pings, refusing what it does not handle yet,
// and shrugging off garbage.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../support/free-port.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { sippClient, sippServer } from '../support/sipp.js';

const CARRIER_IP = '127.0.0.2';

let server: RunningServer;
let sipPort: number;
let carrierPort: number;
let carrier: ReturnType<typeof sippServer>;

async function trunkUp(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('voxreply_sip_trunk_up{trunk="carrier"}'));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

beforeAll(async () => {
  sipPort = await freePortRange(1);
  carrierPort = await freePortRange(1);
  carrier = sippServer('carrier-answers-options', CARRIER_IP, carrierPort);
  const trunks = [
    { name: 'carrier', host: CARRIER_IP, port: carrierPort, optionsIntervalSeconds: 1 },
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

  it('refuses an INVITE it cannot handle yet with 501, not silence', async () => {
    expect(await sippClient('invite-refused', `127.0.0.1:${sipPort}`, await freePortRange(1))).toBe(
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

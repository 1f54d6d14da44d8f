// Calls to our numbers from real SIP peers (sipp as a phone behind the
// carrier's edge): a known number rings the sender's devices and the one that
// answers takes the call; nobody there is a 480; an unknown number is a 404
// and an unlisted source a 403 (sip-gateway.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import { freePortRange } from '../support/free-port.js';
import { connectDevice, ok, randomEmail, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { numbersFile, sippClient } from '../support/sipp.js';

const EDGE_IP = '127.0.0.3';
const DID = '+15550002222';

let server: RunningServer;
let sender: Sender;
let sipPort: number;

beforeAll(async () => {
  sipPort = await freePortRange(1);
  const email = randomEmail();
  server = await startServer({
    ...(process.env.DEBUG_SIP ? { LOG_LEVEL: 'trace' } : {}),
    SIP_PORT: String(sipPort),
    SIP_TRUNKS: JSON.stringify([
      { name: 'carrier', host: '127.0.0.2', port: 5060, allowFrom: [EDGE_IP], codecs: ['PCMU'] },
      {
        name: 'office-pbx',
        host: '127.0.0.2',
        port: 5062,
        codecs: ['PCMU'],
        inbound: { username: 'office-pbx', password: 'pbx-secret-1' },
      },
    ]),
    SIP_NUMBERS: JSON.stringify([{ number: DID, email }]),
  });
  sender = await signUp(server.url, 'Ada Lovelace', email);
});

afterAll(async () => {
  if (process.env.DEBUG_SIP) console.log(server.output());
  await server.stop();
});

async function phoneCalls(
  scenario: string,
  from = EDGE_IP,
  extra: string[] = [],
): Promise<number | null> {
  return sippClient(scenario, `127.0.0.1:${String(sipPort)}`, await freePortRange(1), from, [
    ...extra,
    '-inf',
    numbersFile([DID]),
    ...(process.env.DEBUG_SIP ? ['-trace_msg', '-message_file', '/tmp/sipp-debug/msgs.log'] : []),
  ]);
}

async function latestCall(): Promise<CallRecordView | undefined> {
  return ((await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[])[0];
}

describe('calls to our numbers', () => {
  it('rings the sender’s device; its answer connects the phone (200, ACK, BYE)', async () => {
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    laptop.socket.on('call:ring', (call) => {
      void laptop.socket.emitWithAck('call:answer', { callId: call.callId }).then(ok);
    });
    expect(await phoneCalls('phone-calls-number')).toBe(0);
    expect(laptop.rings[0]).toMatchObject({
      callerName: 'Phone +15559998888',
      subject: `Call to ${DID}`,
      canSendToPhone: false,
    });
    await expect.poll(async () => (await latestCall())?.outcome).toBe('answered');
    expect((await latestCall())?.answeredOn).toBe('Laptop');
    laptop.socket.disconnect();
  });

  it('answers 480 when no device can take the call, and records it as missed', async () => {
    await expect.poll(async () => (await latestCall())?.outcome).toBe('answered');
    expect(await phoneCalls('phone-calls-number-unanswered')).toBe(0);
    await expect.poll(async () => (await latestCall())?.outcome).toBe('missed');
  });

  it('lets a PBX off the allow-list in with digest credentials, and refuses wrong ones', async () => {
    const before = (await latestCall())?.id;
    const pbx = '127.0.0.4';
    const signed = await phoneCalls('phone-calls-number-signed', pbx, [
      '-au',
      'office-pbx',
      '-ap',
      'pbx-secret-1',
    ]);
    expect(signed).toBe(0); // 407, then the signed INVITE rang the sender (480: nobody there)
    await expect.poll(async () => (await latestCall())?.id).not.toBe(before);
    const after = (await latestCall())?.id;
    const wrong = await phoneCalls('phone-calls-number-wrong-password', pbx, [
      '-au',
      'office-pbx',
      '-ap',
      'not-the-password',
    ]);
    expect(wrong).toBe(0); // 407, then 403
    expect((await latestCall())?.id).toBe(after);
  });
});

// Carriers as sipp scenarios behind the gateway, a sender with forwarding
// numbers and no device online, and a reply page (a Socket.IO client) calling
// them: what the phone-forwarding tests share.
import { afterEach, expect } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import type { ProducerInfo, SendCodecRequest, TransportInfo } from '../../protocol/media.js';
import { freePortRange } from './free-port.js';
import { connectCaller, createLink, ok, signUp, type Sender, type TestCaller } from './sender.js';
import { startServer, type RunningServer } from './server-process.js';
import { sippServer } from './sipp.js';

export const CARRIER_IP = '127.0.0.2';
// Carriers' behaviours are tested without "ask me to press 1" (sipp never
// presses it); phone-confirmation.test.ts turns it on.
export const MOBILE = { number: '+15551234567', label: 'Mobile', askToPress1: false };
export const DESK = { number: '+15557654321', label: 'Desk phone', askToPress1: false };

export interface Carrier {
  name: string;
  scenario: string;
  /** Extra sipp arguments (e.g. packet loss). */
  args?: string[];
  username?: string;
  password?: string;
}

export interface Harness {
  server: RunningServer;
  sender: Sender;
  carriers: (ReturnType<typeof sippServer> & { name: string })[];
}

/**
 * Registers the clean-up (carriers and server stopped after each test) and
 * returns `setUp`: carriers as sipp, the server with them as trunks (in
 * order), a sender with `numbers`; resolves once every trunk is up.
 */
export function carrierHarness(): (
  carriers: Carrier[],
  numbers?: PhoneNumber[],
) => Promise<Harness> {
  let harness: Harness | undefined;
  afterEach(async () => {
    if (!harness) return;
    for (const carrier of harness.carriers) await carrier.stop();
    await harness.server.stop();
    harness = undefined;
  });
  return async (carriers, numbers = [MOBILE]) => {
    harness = await setUp(carriers, numbers);
    return harness;
  };
}

/** askToPress1 left out: on, as for a sender who never touched it. */
type PhoneNumber = { number: string; label: string; askToPress1?: boolean };

async function setUp(carriers: Carrier[], numbers: PhoneNumber[]): Promise<Harness> {
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
  const harness = { server, sender: await signUp(server.url), carriers: running };
  const saved = await harness.sender.api('PUT', '/api/me/phones', { phones: numbers });
  expect(saved.status).toBe(200);
  for (const carrier of carriers) {
    await expect.poll(() => trunkUp(server.url, carrier.name), { timeout: 8000 }).toBe(1);
  }
  return harness;
}

/** voxreply_sip_trunk_up for `trunk` on the server at `url` (NaN: not reported). */
export async function trunkUp(url: string, trunk: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`voxreply_sip_trunk_up{trunk="${trunk}"}`));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

export interface CallerView extends TestCaller {
  callId: string;
  /** Streams announced to the page (the phone's, once its RTP reaches the room). */
  producers: ProducerInfo[];
  /** Producers that closed (e.g. the phone's, re-made with another codec). */
  closedProducers: string[];
  /** Each codec the page was asked to send its microphone with. */
  codecs: SendCodecRequest[];
  /** The codec (mimeType) the page would receive `producerId` with. */
  receivedCodec: (producerId: string) => Promise<string | undefined>;
}

/** A reply page calls the sender (through a fresh link). */
export async function call(h: Harness): Promise<CallerView> {
  const { token } = await createLink(h.sender, { recipientEmail: 'grace@example.org' });
  const caller = await connectCaller(h.server.url);
  const producers: ProducerInfo[] = [];
  const closedProducers: string[] = [];
  const codecs: SendCodecRequest[] = [];
  caller.socket.on('media:newProducer', (producer) => producers.push(producer));
  caller.socket.on('media:producerClosed', ({ producerId }) => closedProducers.push(producerId));
  caller.socket.on('media:sendCodec', (request) => codecs.push(request));
  const started = ok(
    await caller.socket.emitWithAck('call:start', { token, callerName: 'Grace Hopper' }),
  );
  let transport: Promise<TransportInfo> | undefined;
  const receivedCodec = async (producerId: string): Promise<string | undefined> => {
    transport ??= caller.socket
      .emitWithAck('media:createTransport', { direction: 'recv' })
      .then((ack) => ok(ack));
    const consumer = ok(
      await caller.socket.emitWithAck('media:consume', {
        transportId: (await transport).id,
        producerId,
        rtpCapabilities: started.media.routerRtpCapabilities,
      }),
    );
    const codecs = consumer.rtpParameters.codecs as { mimeType: string }[] | undefined;
    return codecs?.[0]?.mimeType;
  };
  return { ...caller, callId: started.callId, producers, closedProducers, codecs, receivedCodec };
}

export async function history(h: Harness): Promise<CallRecordView[]> {
  return (await (await h.sender.api('GET', '/api/calls')).json()) as CallRecordView[];
}

export async function record(h: Harness, callId: string): Promise<CallRecordView | undefined> {
  return (await history(h)).find((c) => c.id === callId);
}

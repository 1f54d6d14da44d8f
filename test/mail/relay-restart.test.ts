// The relay killed with SIGKILL at the worst moments: after it said 250 and
// before delivery, and in the middle of a delivery. After a restart on the
// same data every accepted message is delivered, once per recipient, with
// the links minted the first time; and a delivered message is not sent again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink, type ReceivedMail } from '../support/mail-sink.js';
import { randomEmail, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { swaks } from '../support/swaks.js';

const PASSWORD = 'correct horse battery';
const bob = randomEmail('Bob Brown');
const carol = randomEmail('Carol Chen');

let dataDir: string;
let env: Record<string, string>;
let sinkPort: number;
let server: RunningServer | undefined;
let sink: MailSink | undefined;
let sender: Sender;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-relay-restart-'));
  sinkPort = await freePort();
  env = {
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    MAIL_SMARTHOST: `smtp://127.0.0.1:${sinkPort}`,
    SMTP_RELAY_PORT: String(await freePort()),
    MAIL_RETRY_SECONDS: '1',
    RATE_LIMIT_MULTIPLIER: '100',
  };
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await sink?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function submit(subject: string): Promise<void> {
  const result = await swaks({
    port: Number(env.SMTP_RELAY_PORT),
    user: sender.email,
    password: PASSWORD,
    from: sender.email,
    to: [bob, carol],
    message: [
      `To: "Bob Brown" <${bob}>`,
      `Cc: <${carol}>`,
      `Subject: ${subject}`,
      '',
      'Hello.',
    ].join('\r\n'),
  });
  expect(result.transcript).toMatch(/250 2\.0\.0 Queued as/);
}

async function restart(): Promise<void> {
  await server?.stop('SIGKILL');
  server = await startServer(env);
}

function arrived(subject: string): ReceivedMail[] {
  return (sink?.received ?? []).filter((mail) => mail.raw.includes(subject));
}

async function queued(): Promise<number> {
  const text = await (await fetch(`${server?.url ?? ''}/metrics`)).text();
  return Number(/^voxreply_mail_queue (\d+)/m.exec(text)?.[1] ?? NaN);
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Each recipient's copy arrived exactly once, carrying one of the links minted for them. */
async function expectDeliveredOnce(subject: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (arrived(subject).length < 2 && Date.now() < deadline) await settle(50);
  await settle(2000); // a second copy would come within a retry or two
  const copies = arrived(subject);
  expect(copies.map((copy) => copy.to.join(',')).sort()).toEqual([bob, carol].sort());
  const links = (await (await sender.api('GET', '/api/links')).json()) as { subject: string }[];
  expect(links.filter((link) => link.subject === subject)).toHaveLength(2);
}

describe('relay killed with SIGKILL', () => {
  it('delivers a message accepted before the kill, once, after the restart', async () => {
    server = await startServer(env);
    sender = await signUp(server.url);
    // No smarthost listening yet: nothing can go out before the kill.
    const subject = `killed before delivery ${Date.now()}`;
    await submit(subject);
    await restart();
    sink = await startMailSink(sinkPort);
    await expectDeliveredOnce(subject);
  });

  it('delivers a message whose delivery the kill cut off, once', async () => {
    if (!sink) throw new Error('needs the first test');
    sink.mode = 'stall';
    const seen = sink.dataSeen;
    const subject = `killed during delivery ${Date.now()}`;
    await submit(subject);
    const deadline = Date.now() + 10_000;
    while (sink.dataSeen === seen && Date.now() < deadline) await settle(20);
    expect(sink.dataSeen).toBeGreaterThan(seen); // the smarthost has the bytes, not yet a 250
    sink.mode = 'accept';
    await restart();
    await expectDeliveredOnce(subject);
  });

  it('does not send a delivered message again after a kill', async () => {
    const subject = `delivered then killed ${Date.now()}`;
    await submit(subject);
    // Delivered and written down as delivered (the queue is empty) before the kill.
    const deadline = Date.now() + 10_000;
    while ((arrived(subject).length < 2 || (await queued()) !== 0) && Date.now() < deadline)
      await settle(20);
    await restart();
    await expectDeliveredOnce(subject);
  });
});

// Issue 16, "Mail relay": hostile and malformed messages submitted through the
// built server's relay with swaks (and a raw socket where swaks cannot say it),
// delivered to a real SMTP sink. Each case is a class of defect: a forged From
// the check never saw, a line of the sender's text lost, the device put into a
// forwarded message, links minted for devices that appear nowhere, a size
// refusal without its enhanced code.
import { simpleParser } from 'mailparser';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink, type ReceivedMail } from '../support/mail-sink.js';
import { randomEmail, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { swaks } from '../support/swaks.js';

const PASSWORD = 'correct horse battery';
const MARKER = 'data-voxreply-device';

let sink: MailSink;
let server: RunningServer;
let relayPort: number;
let sender: Sender;
const bob = randomEmail('Bob Brown');
const carol = randomEmail('Carol Chen');

beforeAll(async () => {
  sink = await startMailSink();
  relayPort = await freePort();
  server = await startServer({
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(relayPort),
    // Room for a 1 MB header line under the message limit: the header limit must refuse it.
    SMTP_MAX_MESSAGE_MB: '2',
    MAIL_RETRY_SECONDS: '1',
    RATE_LIMIT_MULTIPLIER: '100',
    LOG_LEVEL: 'info',
  });
  sender = await signUp(server.url, 'Ada Lovelace', randomEmail('Ada Lovelace'));
});

afterAll(async () => {
  await server.stop();
  await sink.close();
});

beforeEach(() => {
  sink.mode = 'accept';
});

function submit(message: Buffer | string, to = [bob, carol]) {
  return swaks({
    port: relayPort,
    user: sender.email,
    password: PASSWORD,
    from: sender.email,
    to,
    message,
  });
}

const crlf = (lines: string[]) => lines.join('\r\n');
const settle = (ms = 1000) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

async function delivered(marker: string, count: number): Promise<ReceivedMail[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = sink.received.filter((mail) => mail.raw.includes(marker));
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function linkSubjects(): Promise<string[]> {
  const links = (await (await sender.api('GET', '/api/links')).json()) as { subject: string }[];
  return links.map((link) => link.subject);
}

describe('relay: the sender is checked in every top-level From and Sender', () => {
  const ordinary = (kb: number) =>
    Array.from(
      { length: Math.ceil((kb * 1024) / 70) },
      (_, i) => `X-Trace-${i}: ${'t'.repeat(56)}`,
    );

  it('refuses a forged From after 70 KB of ordinary headers', async () => {
    const subject = `forged late ${Date.now()}`;
    const result = await submit(
      crlf([
        `From: <${sender.email}>`,
        `Subject: ${subject}`,
        ...ordinary(70),
        'From: Billing <billing@bank.example>',
        '',
        'Pay now.',
        '',
      ]),
      [bob],
    );
    expect(result.transcript).toMatch(/550 5\.7\.1 From must be your own address/);
    await settle(500);
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(0);
  });

  it('refuses a forged Sender wherever it stands', async () => {
    const subject = `forged sender ${Date.now()}`;
    const result = await submit(
      crlf([
        `From: <${sender.email}>`,
        `Subject: ${subject}`,
        ...ordinary(70),
        'Sender: ceo@bank.example',
        '',
        'Pay now.',
        '',
      ]),
      [bob],
    );
    expect(result.transcript).toMatch(/550 5\.7\.1 .*own address/);
    await settle(500);
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(0);
  });

  // Shapes one parser reads as the sender's own address and a reader as
  // another (unit tests for every shape: sender-headers.test.ts).
  it.each([
    ['a stray address after the angle-addr', (own: string) => `<${own}> billing@bank.example`],
    ['an empty group (no address at all)', () => 'billing@bank.example:;'],
  ])('refuses a From with %s, and delivers nothing', async (_shape, from) => {
    const subject = `ambiguous from ${Date.now()}`;
    const result = await submit(
      crlf([`From: ${from(sender.email)}`, `Subject: ${subject}`, '', 'Pay now.', '']),
      [bob],
    );
    expect(result.transcript).toMatch(/550 5\.7\.1 From must be your own address .*one mailbox/);
    await settle(500);
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(0);
  });

  // swaks rewrites line endings: a raw socket sends the bare CR as it is.
  it('refuses a bare CR in the header block (a line break to some readers)', async () => {
    const subject = `bare cr ${Date.now()}`;
    const answer = await rawSubmit(
      crlf([
        `From: <${sender.email}>`,
        `Subject: ${subject}\rFrom: billing@bank.example`,
        '',
        'Pay now.',
      ]),
    );
    expect(answer).toMatch(/^554 5\.6\.0 Bare CR or NUL/);
    await settle(500);
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(0);
  });

  it('refuses a header block past the limit (one 1 MB header line) with a clear 5xx', async () => {
    const subject = `huge header ${Date.now()}`;
    const result = await submit(
      crlf([
        `From: <${sender.email}>`,
        `Subject: ${subject}`,
        `X-Huge: ${'h'.repeat(1024 * 1024)}`,
        'From: Billing <billing@bank.example>',
        '',
        'Pay now.',
        '',
      ]),
      [bob],
    );
    expect(result.transcript).toMatch(/552 5\.3\.4 Header block larger than/);
    await settle(500);
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(0);
  });

  // swaks drops a first line starting with "From " (it reads it as mbox): a raw socket sends it.
  it('checks a first line "From : someone" (taken for an mbox separator before)', async () => {
    const subject = `mbox look-alike ${Date.now()}`;
    const answer = await rawSubmit(
      crlf(['From : victim@bank.example', `Subject: ${subject}`, '', 'Pay now.']),
    );
    expect(answer).toMatch(/^550 5\.7\.1 From must be your own address/);
    // The sender's own address in that shape still goes.
    const own = `own spaced from ${Date.now()}`;
    const ok = await rawSubmit(crlf([`From : <${sender.email}>`, `Subject: ${own}`, '', 'Hi.']));
    expect(ok).toMatch(/^250 2\.0\.0 Queued as/);
    expect(await delivered(own, 1)).toHaveLength(1);
  });

  it('refuses a real mbox "From " separator line: it is no header', async () => {
    const answer = await rawSubmit(
      crlf(['From victim@bank.example Mon Jan  1 00:00:00 2026', 'Subject: x', '', 'x']),
    );
    expect(answer).toMatch(/^554 5\.6\.0 /);
  });
});

describe('relay: mail the splitter would change goes out as submitted', () => {
  it('keeps every line of a text with boundary look-alikes, minus Bcc, and says why in the log', async () => {
    const subject = `look-alike ${Date.now()}`;
    const head = [
      `From: <${sender.email}>`,
      `To: <${bob}>`,
      `Subject: ${subject}`,
      'Date: Mon, 30 Nov 2026 10:00:00 +0000',
      `Message-ID: <look-alike-${Date.now()}@example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="BOUNDARY"',
    ];
    const body = [
      '',
      '--BOUNDARY',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'The separator we use in reports:',
      '--BOUNDARY ',
      'first line after the separator',
      'second line after the separator',
      '--BOUNDARY',
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      'notes',
      // swaks ends the data with the line break this line lacks.
      '--BOUNDARY--',
    ];
    const message = crlf([...head, `Bcc: <${carol}>`, ...body]);
    const result = await submit(message);
    expect(result.transcript).toMatch(/250 2\.0\.0 Queued as/);
    const copies = await delivered(subject, 1);
    await settle(500);
    const all = sink.received.filter((mail) => mail.raw.includes(subject));
    expect(all).toHaveLength(1);
    expect(all[0]?.raw.toString()).toBe(`${crlf([...head, ...body])}\r\n`);
    expect(copies[0]?.to.sort()).toEqual([bob, carol].sort());
    expect(server.output()).toMatch(/not byte-identical/);
    // No device went out, so no link was minted.
    expect(await linkSubjects()).not.toContain(subject);
  });
});

describe('relay: container defaults (multipart/digest)', () => {
  it('puts the device into the real body, never into the digested messages', async () => {
    const subject = `digest ${Date.now()}`;
    const digest = crlf([
      '--DIG',
      '',
      'From: someone@example.net',
      'Subject: post one',
      'Content-Type: text/html; charset=us-ascii',
      '',
      '<html><body><p>Post one.</p></body></html>',
      '',
      '--DIG',
      '',
      'From: other@example.net',
      'Subject: post two',
      '',
      'Post two.',
      '',
      '--DIG--',
    ]);
    const message = crlf([
      `From: <${sender.email}>`,
      `To: <${bob}>`,
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="OUT"',
      '',
      '--OUT',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      "This week's posts.",
      '--OUT',
      'Content-Type: multipart/digest; boundary="DIG"',
      '',
      digest,
      '--OUT--',
      '',
    ]);
    await submit(message, [bob]);
    const [copy] = await delivered(subject, 1);
    const raw = copy?.raw.toString() ?? '';
    expect(raw).toContain(digest);
    const parsed = await simpleParser(copy?.raw ?? '');
    expect(parsed.text).toContain("This week's posts.");
    expect(count(raw, 'Reply by voice: ')).toBe(1);
    expect(raw).not.toContain(MARKER);
    const after = raw.slice(raw.indexOf("This week's posts."));
    expect(after.slice(0, after.indexOf('--OUT'))).toContain('Reply by voice: ');
  });
});

describe('relay: links are minted only for devices that go out', () => {
  it('mints none for a message whose only body is UTF-16', async () => {
    const subject = `utf-16 ${Date.now()}`;
    const text = Buffer.from('\ufeffHello in UTF-16.\r\n', 'utf16le').toString('base64');
    await submit(
      crlf([
        `From: <${sender.email}>`,
        `To: <${bob}>`,
        `Cc: <${carol}>`,
        `Subject: ${subject}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-16',
        'Content-Transfer-Encoding: base64',
        '',
        text,
        '',
      ]),
    );
    const copies = await delivered(subject, 1);
    await settle(500);
    // Identical copies share one delivery.
    expect(sink.received.filter((mail) => mail.raw.includes(subject))).toHaveLength(1);
    expect(copies[0]?.raw.toString()).not.toContain('/r/');
    expect(await linkSubjects()).not.toContain(subject);
  });
});

/** One SMTP reply read off a raw socket (multi-line replies joined). */
function reply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (/^\d{3} .*\r\n$/m.test(text.split('\r\n').slice(-2).join('\r\n'))) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function command(socket: Socket, line: string): Promise<string> {
  const answer = reply(socket);
  socket.write(`${line}\r\n`);
  return answer;
}

/** Submits `message` (no line starting with ".") to bob over a raw socket; the answer to DATA. */
async function rawSubmit(message: string): Promise<string> {
  const socket = await login();
  try {
    expect(await command(socket, `MAIL FROM:<${sender.email}>`)).toMatch(/^250/);
    expect(await command(socket, `RCPT TO:<${bob}>`)).toMatch(/^250/);
    expect(await command(socket, 'DATA')).toMatch(/^354/);
    const answer = await command(socket, `${message}\r\n.`);
    await command(socket, 'QUIT');
    return answer;
  } finally {
    socket.destroy();
  }
}

/** A raw SMTP session, logged in as the sender. */
async function login(): Promise<Socket> {
  const socket = connect(relayPort, '127.0.0.1');
  await reply(socket);
  await command(socket, 'EHLO client.example');
  const plain = Buffer.from(`\0${sender.email}\0${PASSWORD}`).toString('base64');
  expect(await command(socket, `AUTH PLAIN ${plain}`)).toMatch(/^235/);
  return socket;
}

describe('relay: size refusals', () => {
  it('answers SIZE= over the limit at MAIL FROM with 552 5.3.4, as after DATA', async () => {
    const socket = connect(relayPort, '127.0.0.1');
    try {
      await reply(socket);
      const ehlo = await command(socket, 'EHLO client.example');
      // SIZE is advertised (without its number: the library's check is off, ours on).
      expect(ehlo).toMatch(/250[- ]SIZE\r\n/);
      const plain = Buffer.from(`\0${sender.email}\0${PASSWORD}`).toString('base64');
      expect(await command(socket, `AUTH PLAIN ${plain}`)).toMatch(/^235/);
      const refused = await command(socket, `MAIL FROM:<${sender.email}> SIZE=5000000`);
      expect(refused).toMatch(/^552 5\.3\.4 Message larger than 2 MB/);
      // Within the limit, the same command is taken.
      expect(await command(socket, `MAIL FROM:<${sender.email}> SIZE=1000`)).toMatch(/^250/);
      await command(socket, 'QUIT');
    } finally {
      socket.destroy();
    }
  });

  it('answers a message over the limit after DATA with the same 552 5.3.4', async () => {
    const body = 'y'.repeat(76).concat('\r\n').repeat(30_000); // ~2.3 MB
    const result = await submit(crlf(['Subject: too big', '', body]), [bob]);
    expect(result.transcript).toMatch(/552 5\.3\.4 Message larger than 2 MB/);
  });
});

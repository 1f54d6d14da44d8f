// The SMTP relay end to end: swaks submits mail through the built server's
// relay to a sink SMTP server; the delivered copies are read back with
// mailparser and part by part. Every recipient's copy carries their own
// device, and every original part arrives intact.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReplyPageInfo } from '../../protocol/links.js';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink, type ReceivedMail } from '../support/mail-sink.js';
import { leafParts, type LeafPart } from '../support/mime-parts.js';
import {
  connectCaller,
  connectDevice,
  createLink,
  ok,
  randomEmail,
  signUp,
  type Sender,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { swaks } from '../support/swaks.js';
import { buildCorpus, type CorpusMessage } from './corpus.js';

const PASSWORD = 'correct horse battery';
const MARKER = 'data-voxreply-device';

let sink: MailSink;
let server: RunningServer;
let relayPort: number;
let sender: Sender;
const ada = randomEmail('Ada Lovelace');
const bob = randomEmail('Bob Brown');
const carol = randomEmail('Carol Chen');

beforeAll(async () => {
  sink = await startMailSink();
  relayPort = await freePort();
  server = await startServer({
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(relayPort),
    SMTP_MAX_MESSAGE_MB: '1',
    MAIL_RETRY_SECONDS: '1',
    // 7.2 s: long enough for the deferral test, short enough to watch a message given up.
    MAIL_GIVE_UP_HOURS: '0.002',
    RATE_LIMIT_MULTIPLIER: '100',
  });
  sender = await signUp(server.url, 'Ada Lovelace', ada);
});

afterAll(async () => {
  await server.stop();
  await sink.close();
});

beforeEach(() => {
  sink.mode = 'accept';
  sink.refuseRecipients.clear();
  sink.deferRecipients.clear();
});

function submit(
  message: Buffer | string,
  to = [bob, carol],
  extra: Partial<Parameters<typeof swaks>[0]> = {},
) {
  return swaks({
    port: relayPort,
    user: sender.email,
    password: PASSWORD,
    from: sender.email,
    to,
    message,
    ...extra,
  });
}

/** The copies that arrived so far whose raw text holds `marker` (a subject). */
function arrived(marker: string): ReceivedMail[] {
  return sink.received.filter((mail) => mail.raw.includes(marker));
}

async function mailQueueMetric(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^voxreply_mail_queue (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Waits a moment in which nothing should arrive. */
const settle = (ms = 1000) => new Promise((resolve) => setTimeout(resolve, ms));

/** The copies whose raw text holds `marker` (a subject), once `count` of them arrived. */
async function delivered(marker: string, count: number): Promise<ReceivedMail[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = arrived(marker);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The reply-link token a copy carries (each copy has its own). */
function tokenIn(text: string): string {
  const match = /\/r\/([A-Za-z0-9_-]{22})/.exec(text);
  if (!match?.[1]) throw new Error(`no reply link in:\n${text}`);
  return match[1];
}

async function replyInfo(token: string): Promise<ReplyPageInfo> {
  const response = await fetch(`${server.url}/api/reply/${token}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ReplyPageInfo;
}

/** The value, or a failed test saying what was missing. */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

/** A body part the relay adds the device to (not an attachment, not forwarded). */
const isBodyText = (part: LeafPart) =>
  (part.contentType === 'text/plain' || part.contentType === 'text/html') &&
  !part.filename &&
  !part.forwarded;

/**
 * Each original part is in the copy: unchanged, except the last body part of
 * each kind (html, text), which has one device added and keeps its own text.
 */
function expectPartsKept(original: LeafPart[], copy: LeafPart[], token: string): void {
  expect(copy.map((p) => [p.contentType, p.charset, p.encoding, p.filename])).toEqual(
    original.map((p) => [p.contentType, p.charset, p.encoding, p.filename]),
  );
  const lastOfKind = new Map(
    original.flatMap((part, index) =>
      isBodyText(part) ? [[part.contentType, index] as const] : [],
    ),
  );
  original.forEach((part, index) => {
    const arrived = present(copy[index], `part ${index}`);
    if (lastOfKind.get(part.contentType) !== index) {
      expect(arrived.content.equals(part.content), `part ${index} (${part.contentType})`).toBe(
        true,
      );
      return;
    }
    const before = part.content.toString('latin1');
    const after = arrived.content.toString('latin1');
    const close = part.contentType === 'text/html' ? before.search(/<\/body>/i) : -1;
    const head = close >= 0 ? before.slice(0, close) : before.replace(/\r?\n$/, '');
    const tail = close >= 0 ? before.slice(close) : '';
    expect(after.startsWith(head), `part ${index} keeps its text`).toBe(true);
    expect(
      after.endsWith(tail) || after.endsWith(`${tail}\r\n`),
      `part ${index} keeps its end`,
    ).toBe(true);
    const added = after.slice(head.length, after.length - tail.length);
    expect(added).toContain(`/r/${token}`);
    if (part.contentType === 'text/html') expect(count(added, MARKER)).toBe(1);
    else expect(count(added, 'Reply by voice: ')).toBe(1);
  });
}

describe('SMTP relay', () => {
  it('refuses strangers, wrong passwords and senders posing as someone else', async () => {
    const anonymous = await swaks({
      port: relayPort,
      from: sender.email,
      to: [bob],
      message: 'Subject: x\r\n\r\nx',
    });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.transcript).toMatch(/530 .*[Aa]uthentication/);

    const wrong = await submit('Subject: x\r\n\r\nx', [bob], { password: 'not the password' });
    expect(wrong.transcript).toMatch(/535 5\.7\.8/);

    const posing = await submit('Subject: x\r\n\r\nx', [bob], { from: 'ceo@example.org' });
    expect(posing.transcript).toMatch(/553 5\.7\.1 You may send only as/);
    const forged = await submit(
      'From: Billing <billing@bank.example>\r\nSubject: x\r\n\r\nPay now.',
      [bob],
    );
    expect(forged.transcript).toMatch(/550 5\.7\.1 From must be your own address/);
    // Nothing reached Bob (the sink has only the senders' sign-up confirmations).
    expect(sink.received.filter((mail) => mail.to.includes(bob))).toHaveLength(0);
  });

  describe('every shape of message arrives with one device per body part and every part intact', async () => {
    const corpus = await buildCorpus({
      from: ada,
      to: bob,
      cc: carol,
    });
    it.each(corpus.map((message) => [message.name, message] as const))(
      '%s',
      async (_name, message: CorpusMessage) => {
        const result = await submit(message.raw);
        expect(result.transcript).toMatch(/250 2\.0\.0 Queued as/);
        const copies = await delivered(message.subject, 2);
        expect(copies.map((copy) => copy.to)).toEqual(expect.arrayContaining([[bob], [carol]]));
        expect(copies).toHaveLength(2);

        const original = await leafParts(message.raw);
        const names = new Map([
          [bob, 'Bob Brown'],
          [carol, 'Carol Chen'],
        ]);
        const tokens = new Set<string>();
        for (const copy of copies) {
          const parsed = await simpleParser(copy.raw);
          const token = tokenIn(`${parsed.text ?? ''}${parsed.html || ''}`);
          tokens.add(token);
          // The link is the recipient's own, about this email.
          const info = await replyInfo(token);
          expect(info.recipientName).toBe(names.get(copy.to[0] ?? ''));
          expect(info.subject).toBe(message.subject);
          // One device per rendering of the message (its HTML, its text), however many parts.
          if (parsed.html) expect(count(parsed.html, MARKER)).toBe(1);
          for (const [filename, content] of message.binaries) {
            const attachment = parsed.attachments.find((a) => a.filename === filename);
            expect(attachment?.content.equals(content), filename).toBe(true);
          }
          expectPartsKept(original, await leafParts(copy.raw), token);
        }
        expect(tokens.size).toBe(2);
      },
    );
  });
});

describe('SMTP relay: recipients, opt-out and mail that already has a device', () => {
  it('gives Bcc recipients their own link without naming them, and the sender a plain copy', async () => {
    const dave = randomEmail('Dave Blind');
    const subject = `bcc ${Date.now()}`;
    const message = [
      `From: <${sender.email}>`,
      `To: "Bob Brown" <${bob}>`,
      `Bcc: <${dave}>`,
      `Subject: ${subject}`,
      '',
      'Hello.',
    ].join('\r\n');
    await submit(message, [bob, dave, sender.email]);
    const copies = await delivered(subject, 3);
    expect(copies).toHaveLength(3);
    const byRecipient = new Map(copies.map((copy) => [copy.to.join(','), copy.raw.toString()]));
    expect(byRecipient.get(sender.email)).not.toContain('Reply by voice');
    const daveInfo = await replyInfo(tokenIn(byRecipient.get(dave) ?? ''));
    expect(daveInfo.recipientName).toBeNull();
    expect((await replyInfo(tokenIn(byRecipient.get(bob) ?? ''))).recipientName).toBe('Bob Brown');
    // The Bcc list reaches nobody, not even the blind recipient.
    for (const raw of byRecipient.values()) {
      expect(raw).not.toMatch(/^Bcc:/im);
      expect(raw.split('\r\n\r\n')[0]).not.toContain(dave);
    }
    // The sender's Links list has one link per recipient, about this email.
    const links = (await (await sender.api('GET', '/api/links')).json()) as {
      recipientEmail: string;
      subject: string;
    }[];
    expect(
      links
        .filter((link) => link.subject === subject)
        .map((link) => link.recipientEmail)
        .sort(),
    ).toEqual([bob, dave].sort());
  });

  it('leaves a message that already carries a device as it is, in one delivery', async () => {
    const subject = `signed ${Date.now()}`;
    const html = `<html><body><p>Hi</p><table ${MARKER}="1"><tr><td><a href="${server.url}/r/AAAAAAAAAAAAAAAAAAAAAA">Reply by voice</a></td></tr></table></body></html>`;
    const message = [
      `From: <${sender.email}>`,
      `To: <${bob}>`,
      `Cc: <${carol}>`,
      `Subject: ${subject}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
    ].join('\r\n');
    await submit(message);
    const copies = await delivered(subject, 1);
    await settle();
    expect(arrived(subject)).toHaveLength(1);
    expect(copies[0]?.to.sort()).toEqual([bob, carol].sort());
    expect(count(copies[0]?.raw.toString() ?? '', MARKER)).toBe(1);
  });

  it('leaves signed mail (S/MIME, PGP/MIME) untouched, so its signature stays valid', async () => {
    const subject = `signed mail ${Date.now()}`;
    const signedPart = ['Content-Type: text/plain; charset=us-ascii', '', 'Signed words.', ''].join(
      '\r\n',
    );
    const message = [
      `From: <${sender.email}>`,
      `To: <${bob}>`,
      `Cc: <${carol}>`,
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary="sig-1"',
      '',
      '--sig-1',
      signedPart,
      '--sig-1',
      'Content-Type: application/pgp-signature; name="signature.asc"',
      '',
      '-----BEGIN PGP SIGNATURE-----',
      'iQEzBAEBCAAdFiEE',
      '-----END PGP SIGNATURE-----',
      '--sig-1--',
      '',
    ].join('\r\n');
    await submit(message);
    const [copy] = await delivered(subject, 1);
    await settle(500);
    expect(arrived(subject)).toHaveLength(1);
    const raw = present(copy, 'the signed copy').raw.toString();
    expect(present(copy, 'the signed copy').to.sort()).toEqual([bob, carol].sort());
    expect(raw).not.toContain('Reply by voice');
    expect(raw).toContain(`--sig-1\r\n${signedPart}\r\n--sig-1`);
  });

  it('adds nothing when the sender opts out, and takes the opt-out marks away', async () => {
    const header = `header opt-out ${Date.now()}`;
    await submit(
      [
        `From: <${sender.email}>`,
        `To: <${bob}>`,
        'X-Voxreply: off',
        `Subject: ${header}`,
        '',
        'No device, please.',
      ].join('\r\n'),
    );
    const tagged = `tag opt-out ${Date.now()}`;
    await submit(
      [
        `From: <${sender.email}>`,
        `To: <${bob}>`,
        `Subject: [novoice] ${tagged}`,
        '',
        'No device either.',
      ].join('\r\n'),
    );
    // The tag inside encoded words ("[novoice] Café <stamp>" in Q encoding).
    const stamp = String(Date.now());
    const encoded = `=?UTF-8?Q?=5Bnovoice=5D_Caf=C3=A9_${stamp}?=`;
    await submit(
      [`From: <${sender.email}>`, `To: <${bob}>`, `Subject: ${encoded}`, '', 'Nor here.'].join(
        '\r\n',
      ),
    );
    const [byHeader] = await delivered(header, 1);
    const [byTag] = await delivered(tagged, 1);
    const [byEncodedTag] = await delivered(stamp, 1);
    expect((await simpleParser(present(byEncodedTag, 'encoded').raw)).subject).toBe(
      `Café ${stamp}`,
    );
    for (const copy of [byHeader, byTag, byEncodedTag]) {
      const parsed = await simpleParser(present(copy, 'a delivered copy').raw);
      expect(parsed.text).not.toContain('Reply by voice');
      expect(parsed.headers.has('x-voxreply')).toBe(false);
    }
    expect((await simpleParser(present(byTag, 'a delivered copy').raw)).subject).toBe(tagged);
  });
});

describe('SMTP relay: bad input gets a clear answer or a delivered message', () => {
  it('delivers malformed MIME as well as it can, and adds Date and Message-ID when missing', async () => {
    const unclosed = `unclosed ${Date.now()}`;
    await submit(
      [
        `To: <${bob}>`,
        `Subject: ${unclosed}`,
        'Content-Type: multipart/mixed; boundary="never-closed"',
        '',
        '--never-closed',
        'Content-Type: text/plain',
        '',
        'The boundary never closes.',
      ].join('\r\n'),
    );
    const noBoundary = `no boundary ${Date.now()}`;
    await submit(
      [
        `To: <${bob}>`,
        `Subject: ${noBoundary}`,
        'Content-Type: multipart/alternative',
        '',
        'A multipart without a boundary.',
      ].join('\r\n'),
    );
    const eightBit = `8-bit header ${Date.now()}`;
    await submit(
      Buffer.from(
        [`To: <${bob}>`, `Subject: Grüße ${eightBit}`, '', 'Raw UTF-8 in the subject.'].join(
          '\r\n',
        ),
      ),
    );
    for (const subject of [unclosed, noBoundary, eightBit]) {
      const [copy] = await delivered(subject, 1);
      expect(copy, subject).toBeDefined();
      const parsed = await simpleParser(present(copy, 'a delivered copy').raw);
      expect(parsed.messageId).toMatch(/^<.+@.+>$/);
      expect(parsed.date?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    }
    const [eight] = await delivered(eightBit, 1);
    expect((await simpleParser(present(eight, 'a delivered copy').raw)).subject).toBe(
      `Grüße ${eightBit}`,
    );
    expect(
      (await replyInfo(tokenIn(present(eight, 'a delivered copy').raw.toString()))).subject,
    ).toBe(`Grüße ${eightBit}`);
  });

  it('refuses a message over the size limit with 552 and delivers nothing', async () => {
    const subject = `too big ${Date.now()}`;
    const body = 'y'.repeat(76).concat('\r\n').repeat(15_000); // ~1.2 MB, the limit is 1 MB
    const result = await submit([`To: <${bob}>`, `Subject: ${subject}`, '', body].join('\r\n'));
    expect(result.transcript).toMatch(/552 5\.3\.4/);
    await settle();
    expect(arrived(subject)).toHaveLength(0);
  });
});

describe('SMTP relay: delivery', () => {
  it('retries a deferred message and delivers it once', async () => {
    sink.mode = 'defer';
    const subject = `deferred ${Date.now()}`;
    await submit([`To: <${bob}>`, `Subject: ${subject}`, '', 'Later.'].join('\r\n'), [bob]);
    await settle(700);
    expect(arrived(subject)).toHaveLength(0);
    // Operators see it waiting.
    await expect.poll(() => mailQueueMetric(), { timeout: 5000 }).toBe(1);
    sink.mode = 'accept';
    expect(await delivered(subject, 1)).toHaveLength(1);
    await expect.poll(() => mailQueueMetric(), { timeout: 5000 }).toBe(0);
    await settle(1500);
    expect(arrived(subject)).toHaveLength(1);
  });

  it('bounces a refused recipient to the sender and still delivers to the others', async () => {
    sink.refuseRecipients.add(carol);
    const subject = `bounce ${Date.now()}`;
    await submit(
      [`To: <${bob}>, <${carol}>`, `Subject: ${subject}`, '', 'One of you is gone.'].join('\r\n'),
    );
    const mails = await delivered(subject, 2);
    expect(mails.find((mail) => mail.to[0] === bob)).toBeDefined();
    const bounce = mails.find((mail) => mail.to[0] === sender.email);
    expect(bounce?.from).toBe('');
    const parsed = await simpleParser(present(bounce, 'a delivered copy').raw);
    expect(parsed.subject).toBe(`Undelivered mail: ${subject}`);
    expect(parsed.text).toContain(carol);
    expect(parsed.text).toContain('No such user here');
    // The original rides along as an attached message.
    expect(present(bounce, 'a delivered copy').raw.toString()).toMatch(
      /Content-Type: message\/rfc822/i,
    );
    expect(present(bounce, 'a delivered copy').raw.toString()).toContain('One of you is gone.');
  });

  it('gives up on a recipient deferred past MAIL_GIVE_UP_HOURS and tells the sender', async () => {
    const busy = randomEmail('Busy Bee');
    sink.deferRecipients.add(busy);
    const subject = `given up ${Date.now()}`;
    await submit([`To: <${busy}>`, `Subject: ${subject}`, '', 'Anyone there?'].join('\r\n'), [
      busy,
    ]);
    const [bounce] = await delivered(`Undelivered mail: ${subject}`, 1);
    const parsed = await simpleParser(present(bounce, 'the bounce').raw);
    expect(parsed.text).toContain(busy);
    expect(parsed.text).toMatch(/gave up after \d+ attempts/);
    expect(arrived(subject).filter((mail) => mail.to.includes(busy))).toHaveLength(0);
  });

  it('takes an app password from the desk app, and not once it is revoked', async () => {
    const created = (await (
      await sender.api('POST', '/api/me/app-passwords', { label: 'Thunderbird' })
    ).json()) as { id: number; password: string };
    const subject = `app password ${Date.now()}`;
    const accepted = await submit(
      [`To: <${bob}>`, `Subject: ${subject}`, '', 'Sent from Thunderbird.'].join('\r\n'),
      [bob],
      { password: created.password },
    );
    expect(accepted.transcript).toMatch(/235 /);
    expect(await delivered(subject, 1)).toHaveLength(1);
    expect((await sender.api('DELETE', `/api/me/app-passwords/${created.id}`)).status).toBe(204);
    const refused = await submit('Subject: x\r\n\r\nx', [bob], { password: created.password });
    expect(refused.transcript).toMatch(/535 5\.7\.8/);
  });
});

describe('calls from a relayed email', () => {
  it('ring the sender saying who calls about which email', async () => {
    const subject = `Budget review ${Date.now()}`;
    await submit(
      [
        `From: <${sender.email}>`,
        `To: "Bob Brown" <${bob}>`,
        `Subject: ${subject}`,
        '',
        'Numbers attached.',
      ].join('\r\n'),
      [bob],
    );
    const [copy] = await delivered(subject, 1);
    const token = tokenIn(present(copy, 'the copy').raw.toString());
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    const caller = await connectCaller(server.url);
    try {
      const { callId } = ok(
        await caller.socket.emitWithAck('call:start', {
          token,
          callerName: 'Bob Brown',
          video: false,
        }),
      );
      await expect.poll(() => laptop.rings.length, { timeout: 5000 }).toBe(1);
      expect(laptop.rings[0]).toMatchObject({
        callId,
        callerName: 'Bob Brown',
        callerEmail: bob,
        subject,
      });
      ok(await caller.socket.emitWithAck('call:hangup', { callId }));
    } finally {
      caller.socket.disconnect();
      laptop.socket.disconnect();
    }
  });
});

describe('missed-call emails', () => {
  async function callNobodyAnswers(callerName: string): Promise<void> {
    const link = await createLink(sender, { recipientEmail: bob, subject: 'Q3 plan' });
    const caller = await connectCaller(server.url);
    try {
      ok(
        await caller.socket.emitWithAck('call:start', {
          token: link.token,
          callerName,
          video: false,
        }),
      );
      // No device is online: the call ends unanswered at once.
      await expect.poll(() => caller.stages.length, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      caller.socket.disconnect();
    }
  }

  it('tells the sender who called about which email, unless they turned it off', async () => {
    await callNobodyAnswers('Grace Hopper');
    const [notice] = await delivered('Missed call from Grace Hopper', 1);
    expect(present(notice, 'the missed-call email').to).toEqual([sender.email]);
    const parsed = await simpleParser(present(notice, 'the missed-call email').raw);
    expect(parsed.text).toContain(`Grace Hopper <${bob}>`);
    expect(parsed.text).toContain('About: Q3 plan');
    expect(parsed.text).toContain(`${server.url}/app#history-title`);

    const off = await sender.api('PATCH', '/api/me/settings', { notifyMissedCalls: false });
    expect(off.status).toBe(200);
    await callNobodyAnswers('Alan Turing');
    await settle(1500);
    expect(arrived('Missed call from Alan Turing')).toHaveLength(0);
  });
});

// The messages the relay tests submit: each a shape real mail programs send.
// Built here, by hand or with nodemailer's MailComposer (as mail programs
// build theirs), never read from fixtures.
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

export interface CorpusMessage {
  name: string;
  subject: string;
  raw: Buffer;
  /** Attachments and inline images, by filename: must arrive byte for byte. */
  binaries: Map<string, Buffer>;
}

export interface Addresses {
  from: string;
  to: string;
  cc: string;
}

const crlf = (lines: string[]) => lines.join('\r\n');

function headers(a: Addresses, subject: string, extra: string[] = []): string[] {
  return [
    `From: Ada Lovelace <${a.from}>`,
    `To: "Bob Brown" <${a.to}>`,
    `Cc: "Carol Chen" <${a.cc}>`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    ...extra,
  ];
}

function compose(options: MailComposer.Options): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer(options)
      .compile()
      .build((error, message) => (error ? reject(error) : resolve(message))),
  );
}

export async function buildCorpus(a: Addresses): Promise<CorpusMessage[]> {
  const tag = () => randomBytes(4).toString('hex');
  const messages: CorpusMessage[] = [];
  const add = (
    name: string,
    build: (subject: string) => Buffer,
    binaries = new Map<string, Buffer>(),
  ) => {
    const subject = `${name} ${tag()}`;
    messages.push({ name, subject, raw: build(subject), binaries });
  };

  add('plain only', (s) =>
    Buffer.from(
      crlf([
        ...headers(a, s, ['Content-Type: text/plain; charset=us-ascii']),
        '',
        'Hello Bob,',
        '',
        'See you Monday.',
      ]),
    ),
  );
  add('html only, 8bit UTF-8', (s) =>
    Buffer.from(
      crlf([
        ...headers(a, s, [
          'Content-Type: text/html; charset=utf-8',
          'Content-Transfer-Encoding: 8bit',
        ]),
        '',
        '<html><body><p>Grüße aus Zürich — 日本語も</p></body></html>',
      ]),
    ),
  );
  add('alternative, quoted-printable ISO-8859-1 and base64 UTF-8', (s) =>
    Buffer.concat([
      Buffer.from(
        crlf([
          ...headers(a, s, ['Content-Type: multipart/alternative; boundary="alt-1"']),
          '',
          '--alt-1',
          'Content-Type: text/plain; charset=iso-8859-1',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          'Caf=E9 cr=E8me br=FBl=E9e, =E0 bient=F4t.',
          '--alt-1',
          'Content-Type: text/html; charset=utf-8',
          'Content-Transfer-Encoding: base64',
          '',
          '',
        ]),
      ),
      Buffer.from(
        `${Buffer.from('<html><body><p>Café crème brûlée, à bientôt.</p></body></html>').toString('base64')}\r\n--alt-1--\r\n`,
      ),
    ]),
  );
  add('very long lines', (s) =>
    Buffer.from(
      crlf([
        ...headers(a, s, [
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
        ]),
        '',
        // 6,000 characters on one line, soft-broken by quoted-printable as a mail program would.
        ('x'.repeat(75) + '=\r\n').repeat(80) + 'end.',
      ]),
    ),
  );

  const pdf = randomBytes(40_000);
  const notes = Buffer.from('Attached notes, not a body part.\n');
  messages.push({
    name: 'mixed with attachments',
    subject: `mixed with attachments ${tag()}`,
    raw: Buffer.alloc(0),
    binaries: new Map([
      ['report.pdf', pdf],
      ['notes.txt', notes],
    ]),
  });
  const mixed = messages[messages.length - 1] as CorpusMessage;
  mixed.raw = await compose({
    from: `Ada Lovelace <${a.from}>`,
    to: `"Bob Brown" <${a.to}>`,
    cc: `"Carol Chen" <${a.cc}>`,
    subject: mixed.subject,
    text: 'The report is attached.',
    html: '<p>The report is <b>attached</b>.</p>',
    attachments: [
      { filename: 'report.pdf', content: pdf, contentType: 'application/pdf' },
      { filename: 'notes.txt', content: notes, contentType: 'text/plain' },
    ],
  });

  const png = randomBytes(5_000);
  messages.push({
    name: 'related with an inline image',
    subject: `related with an inline image ${tag()}`,
    raw: Buffer.alloc(0),
    binaries: new Map([['logo.png', png]]),
  });
  const related = messages[messages.length - 1] as CorpusMessage;
  related.raw = await compose({
    from: `Ada Lovelace <${a.from}>`,
    to: `"Bob Brown" <${a.to}>`,
    cc: `"Carol Chen" <${a.cc}>`,
    subject: related.subject,
    textEncoding: 'base64',
    html: '<html><body><img src="cid:logo@ada"><p>Our logo.</p></body></html>',
    attachments: [
      { filename: 'logo.png', content: png, cid: 'logo@ada', contentType: 'image/png' },
    ],
  });

  // Apple Mail writes one HTML body as two parts around an inline image.
  const inline = randomBytes(2_000);
  add(
    'HTML split around an inline image',
    (s) =>
      Buffer.from(
        crlf([
          ...headers(a, s, ['Content-Type: multipart/mixed; boundary="apple-1"']),
          '',
          '--apple-1',
          'Content-Type: text/html; charset=us-ascii',
          '',
          '<html><body><p>Before the picture.</p></body></html>',
          '--apple-1',
          'Content-Type: image/png; name="photo.png"',
          'Content-Disposition: inline; filename="photo.png"',
          'Content-Transfer-Encoding: base64',
          '',
          inline.toString('base64'),
          '--apple-1',
          'Content-Type: text/html; charset=us-ascii',
          '',
          '<html><body><p>After the picture.</p></body></html>',
          '--apple-1--',
          '',
        ]),
      ),
    new Map([['photo.png', inline]]),
  );

  add('forwarded message', (s) =>
    Buffer.from(
      crlf([
        ...headers(a, s, ['Content-Type: multipart/mixed; boundary="mix-1"']),
        '',
        '--mix-1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Forwarding this.',
        '--mix-1',
        'Content-Type: message/rfc822',
        '',
        'From: someone@example.net',
        'Subject: the original',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<html><body><p>Someone else wrote this.</p></body></html>',
        '--mix-1--',
        '',
      ]),
    ),
  );
  return messages;
}

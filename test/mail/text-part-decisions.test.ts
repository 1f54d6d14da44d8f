// Which parts a reader's mail program shows as the message, so which ones the
// relay puts the device into (issue 16, item 4; decisions in
// server/mail/message-rewriter.ts bodyTextKind and ADR 019). One test a
// decision, each on the relay's own two passes in-process.
import { describe, expect, it } from 'vitest';
import { relayCopy } from './relay-pipeline.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));
const head = ['From: ada@example.org', 'To: bob@example.com', 'Subject: s', 'MIME-Version: 1.0'];

/** A message of one body part (headers given) and, after it, an ordinary text part. */
function withBody(partHeaders: string[], body = 'The part under test.'): Buffer {
  return crlf([
    ...head,
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Ordinary text.',
    '--b1',
    ...partHeaders,
    '',
    body,
    '--b1--',
    '',
  ]);
}

/** The bytes of the part under test in the copy (between the second delimiter and the close). */
function partUnderTest(output: Buffer): string {
  const text = output.toString('latin1');
  const second = text.indexOf('--b1', text.indexOf('--b1') + 4);
  return text.slice(second, text.indexOf('--b1--'));
}

describe('the device goes where a mail program shows the message text', () => {
  it('a text part with only `filename=` as its disposition is an attachment: untouched', async () => {
    const copy = await relayCopy(withBody(['Content-Disposition: filename="notes.txt"']));
    expect(partUnderTest(copy.output)).not.toContain('Reply by voice');
    // The device went into the ordinary text part, now the last body text.
    expect(copy.output.toString()).toMatch(/Ordinary text\.\r?\n\r?\nReply by voice/);
  });

  it('a text part with a name but an empty disposition type is an attachment: untouched', async () => {
    const copy = await relayCopy(withBody(['Content-Disposition: ; filename="notes.txt"']));
    expect(partUnderTest(copy.output)).not.toContain('Reply by voice');
  });

  it('an inline text part with a filename is a file the sender attached: untouched', async () => {
    const copy = await relayCopy(
      withBody(['Content-Type: text/plain; name="n.txt"', 'Content-Disposition: inline']),
    );
    expect(partUnderTest(copy.output)).not.toContain('Reply by voice');
  });

  it('a bare `Content-Type: text` is text/plain (RFC 2045 5.2): it gets the device', async () => {
    const copy = await relayCopy(withBody(['Content-Type: text']));
    expect(partUnderTest(copy.output)).toContain('Reply by voice');
    expect(copy.output.toString()).toContain('Ordinary text.\r\n--b1');
  });

  it('`Content-Type: text/` (no subtype) is text/plain as well', async () => {
    const copy = await relayCopy(withBody(['Content-Type: text/']));
    expect(partUnderTest(copy.output)).toContain('Reply by voice');
  });

  it.each(['text/enriched', 'text/calendar', 'text/x-unknown', 'text/csv'])(
    'an unknown or data text subtype (%s) is left alone',
    async (type) => {
      const copy = await relayCopy(withBody([`Content-Type: ${type}; charset=us-ascii`]));
      expect(partUnderTest(copy.output)).not.toContain('Reply by voice');
      expect(copy.output.toString()).toMatch(/Ordinary text\.\r?\n\r?\nReply by voice/);
    },
  );

  it('a message whose only text is an unknown subtype gets no device and no link', async () => {
    const copy = await relayCopy(
      crlf([...head, 'Content-Type: text/x-unknown', '', 'Only this.', '']),
    );
    expect(copy.device).toBe(false);
    expect(copy.output.toString()).not.toContain('Reply by voice');
  });

  it('a part without Content-Type in multipart/digest is a message: never edited', async () => {
    const digest = ['--d1', '', 'From: x@example.net', 'Subject: post', '', 'Post text.', '--d1--'];
    const copy = await relayCopy(
      crlf([
        ...head,
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'Digest below.',
        '--b1',
        'Content-Type: multipart/digest; boundary="d1"',
        '',
        ...digest,
        '--b1--',
        '',
      ]),
    );
    expect(copy.output.toString()).toContain(digest.join('\r\n'));
    expect(copy.output.toString()).toMatch(/Digest below\.\r?\n\r?\nReply by voice/);
  });

  it('a part without Content-Type elsewhere (multipart/mixed) is text/plain: it gets the device', async () => {
    const copy = await relayCopy(withBody([]));
    expect(partUnderTest(copy.output)).toContain('Reply by voice');
  });

  it('a UTF-16 body takes no device, so the message mints no link', async () => {
    const copy = await relayCopy(
      crlf([
        ...head,
        'Content-Type: text/plain; charset=utf-16',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('\ufeffHi', 'utf16le').toString('base64'),
        '',
      ]),
    );
    expect(copy.device).toBe(false);
  });
});

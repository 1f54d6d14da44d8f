// Hand-made malformed messages, one (or a few) per class of defect issue 16
// found in the relay, plus their near relatives. Each is what a broken or
// hostile mail program sends; the relay must keep every byte of the sender's
// text (or send the message as it came) and put the device only where a
// reader sees the message.

export interface MalformedMessage {
  name: string;
  raw: Buffer;
  /** What the relay must do with it: edit a body part, or send it as submitted. */
  expect: 'device' | 'no device' | 'as submitted';
}

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));
const head = [
  'From: Ada <ada@example.org>',
  'To: Bob <bob@example.com>',
  'Bcc: dave@example.com',
  'Subject: malformed',
  'MIME-Version: 1.0',
];
const mixed = (boundary: string) => [
  ...head,
  `Content-Type: multipart/mixed; boundary="${boundary}"`,
  '',
];

export const MALFORMED: MalformedMessage[] = [
  {
    // The splitter takes "--B " for a delimiter, reads the next lines as the
    // headers of a new part, and loses them when the next delimiter comes first.
    name: 'boundary look-alike with a trailing space, then text, then a delimiter',
    raw: crlf([
      ...mixed('B'),
      '--B',
      'Content-Type: text/plain',
      '',
      'Line one',
      '--B ',
      'first line after the look-alike',
      'second line after the look-alike',
      '--B',
      'Content-Type: text/plain',
      '',
      'Second part.',
      '--B--',
      '',
    ]),
    expect: 'as submitted',
  },
  {
    // The same before a closing delimiter: the lines come out twice.
    name: 'boundary look-alike with a trailing tab, then text, then the closing delimiter',
    raw: crlf([
      ...mixed('B'),
      '--B',
      'Content-Type: text/plain',
      '',
      'Line one',
      '--B\t',
      'first line after the look-alike',
      '--B--',
      '',
    ]),
    expect: 'as submitted',
  },
  {
    name: 'boundary look-alike followed by a blank line (reads as an empty part: kept)',
    raw: crlf([
      ...mixed('B'),
      '--B',
      'Content-Type: text/plain',
      '',
      'Line one',
      '--B ',
      '',
      'Line after',
      '--B--',
      '',
    ]),
    expect: 'device',
  },
  {
    name: 'multipart/digest with parts without Content-Type (messages)',
    raw: crlf([
      ...mixed('OUT'),
      '--OUT',
      'Content-Type: text/plain',
      '',
      'The digest:',
      '--OUT',
      'Content-Type: multipart/digest; boundary="DIG"',
      '',
      '--DIG',
      '',
      'From: x@example.net',
      'Subject: one',
      '',
      'Post one.',
      '--DIG',
      '',
      'From: y@example.net',
      'Subject: two',
      'Content-Type: text/html',
      '',
      '<html><body>Post two.</body></html>',
      '--DIG--',
      '--OUT--',
      '',
    ]),
    expect: 'device',
  },
  {
    name: 'a digest alone: nothing a reader sees as the message',
    raw: crlf([
      ...head,
      'Content-Type: multipart/digest; boundary="DIG"',
      '',
      '--DIG',
      '',
      'From: x@example.net',
      '',
      'Post one.',
      '--DIG--',
      '',
    ]),
    expect: 'no device',
  },
  {
    name: 'a text part whose disposition is only filename=',
    raw: crlf([
      ...mixed('B'),
      '--B',
      'Content-Type: text/plain',
      'Content-Disposition: filename="notes.txt"',
      '',
      'A file.',
      '--B--',
      '',
    ]),
    expect: 'no device',
  },
  {
    name: 'a bare Content-Type: text',
    raw: crlf([...head, 'Content-Type: text', '', 'Plain words.', '']),
    expect: 'device',
  },
  {
    name: 'an unknown text subtype only',
    raw: crlf([...head, 'Content-Type: text/x-unknown', '', 'Plain words.', '']),
    expect: 'no device',
  },
  {
    name: 'a UTF-16 body only',
    raw: crlf([
      ...head,
      'Content-Type: text/plain; charset=utf-16',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('\ufeffHello', 'utf16le').toString('base64'),
      '',
    ]),
    expect: 'no device',
  },
  {
    name: 'a part without the blank line after its headers',
    raw: crlf([
      ...mixed('B'),
      '--B',
      'Content-Type: text/plain',
      'Words right under the header.',
      '--B',
      'Content-Type: text/html',
      '',
      '<html><body>HTML.</body></html>',
      '--B--',
      '',
    ]),
    expect: 'as submitted',
  },
  {
    name: 'an unclosed multipart with LF-only line ends',
    raw: Buffer.from(
      [...mixed('B'), '--B', 'Content-Type: text/plain', '', 'Never closed.', ''].join('\n'),
    ),
    expect: 'device',
  },
  {
    name: '70 KB of ordinary headers before the body',
    raw: crlf([
      ...head,
      ...Array.from({ length: 1000 }, (_, i) => `X-Trace-${i}: ${'t'.repeat(60)}`),
      'Content-Type: text/plain',
      '',
      'Body.',
      '',
    ]),
    expect: 'device',
  },
  {
    name: 'a first header line "From : x" (mbox look-alike)',
    raw: crlf(['From : <ada@example.org>', ...head.slice(1), '', 'Body.', '']),
    expect: 'device',
  },
];

// fast-check arbitraries for whole raw messages: random MIME trees (every
// container type, nesting, embedded messages, every transfer encoding, several
// charsets, binary parts) written the way real and broken mail programs write
// them: boundary look-alikes in bodies (with trailing whitespace), missing
// blank lines after headers, preambles and epilogues, LF-only line ends.
import fc from 'fast-check';
import { encode as base64, wrap as wrapBase64 } from 'nodemailer/lib/base64';
import { encode as qp, wrap as wrapQp } from 'nodemailer/lib/qp';

export type Encoding = '7bit' | '8bit' | 'quoted-printable' | 'base64' | 'binary' | 'none';

export interface Leaf {
  kind: 'leaf';
  type: string;
  charset: string | undefined;
  encoding: Encoding;
  disposition: string | undefined;
  content: Buffer;
}

export interface Multipart {
  kind: 'multipart';
  subtype: string;
  children: MimeTree[];
  preamble: boolean;
  epilogue: boolean;
}

export interface Embedded {
  kind: 'message';
  /** Written without Content-Type (only right inside a multipart/digest). */
  implicit: boolean;
  inner: MimeTree;
}

export type MimeTree = Leaf | Multipart | Embedded;

const CHARSETS = ['us-ascii', 'utf-8', 'iso-8859-1', 'windows-1252', 'utf-16'] as const;

/** A line of text a person writes, sometimes one that looks like a delimiter. */
function textLine(boundaries: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom('Grüße aus Zürich', 'naïve café', '日本語', 'a=b c') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...boundaries, 'BOUNDARY', 'other'),
          fc.constantFrom('', '--'),
          fc.constantFrom(' ', '\t', '  ', ''),
        )
        .map(([boundary, close, space]) => `--${boundary}${close}${space}`),
    },
    { weight: 1, arbitrary: fc.constantFrom('From someone', '.', 'X-Header: value', '') },
  );
}

function textContent(charset: string, boundaries: string[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.array(textLine(boundaries), { maxLength: 8 }), fc.constantFrom('\r\n', '\n'))
    .map(([lines, eol]) => {
      // No line may hold a bare CR or LF of its own: eol is the only break.
      const text = lines.map((line) => line.replace(/[\r\n]/g, ' ')).join(eol);
      if (charset === 'utf-16') return Buffer.from(`\ufeff${text}`, 'utf16le');
      if (charset === 'us-ascii') return Buffer.from(text.replace(/[^\x20-\x7e\t]/g, '?'));
      if (charset === 'utf-8') return Buffer.from(text, 'utf8');
      return Buffer.from(
        Array.from(text, (char) => ((char.codePointAt(0) ?? 0) > 0xff ? '?' : char)).join(''),
        'latin1',
      );
    });
}

function textLeaf(boundaries: string[]): fc.Arbitrary<Leaf> {
  return fc
    .record({
      type: fc.constantFrom(
        'text/plain',
        'text/plain',
        'text/html',
        'text/calendar',
        'text',
        'none',
      ),
      charset: fc.option(fc.constantFrom(...CHARSETS), { nil: undefined }),
      encoding: fc.constantFrom<Encoding>('7bit', '8bit', 'quoted-printable', 'base64', 'none'),
      disposition: fc.constantFrom(
        undefined,
        undefined,
        'inline',
        'attachment; filename="notes.txt"',
        'filename="notes.txt"',
      ),
    })
    .chain((leaf) =>
      textContent(leaf.charset ?? 'us-ascii', boundaries).map((content) => ({
        kind: 'leaf' as const,
        ...leaf,
        // UTF-16 and binary bytes cannot travel as lines: base64 (as mail programs do).
        encoding:
          leaf.charset === 'utf-16' && leaf.encoding !== 'quoted-printable'
            ? ('base64' as const)
            : leaf.encoding,
        content: leaf.type === 'text/html' ? wrapHtml(content, leaf.charset) : content,
      })),
    );
}

function wrapHtml(content: Buffer, charset: string | undefined): Buffer {
  if (charset === 'utf-16') return content;
  return Buffer.concat([Buffer.from('<html><body>'), content, Buffer.from('</body></html>')]);
}

const binaryLeaf: fc.Arbitrary<Leaf> = fc
  .record({
    type: fc.constantFrom('application/octet-stream', 'image/png', 'application/pdf'),
    encoding: fc.constantFrom<Encoding>('base64', 'base64', 'binary'),
    content: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  })
  .map((leaf) => ({
    kind: 'leaf' as const,
    charset: undefined,
    disposition: 'attachment; filename="file.bin"',
    ...leaf,
    // Raw binary bytes as they are (CR, LF, NUL included), as a broken program sends them.
  }));

const SUBTYPES = ['mixed', 'alternative', 'related', 'digest', 'signed', 'parallel', 'report'];

export function mimeTreeArbitrary(): fc.Arbitrary<MimeTree> {
  const { tree } = fc.letrec<{ tree: MimeTree; multipart: Multipart; embedded: Embedded }>(
    (tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
        { weight: 4, arbitrary: textLeaf(['b0', 'b1', 'b2']) },
        { weight: 1, arbitrary: binaryLeaf },
        { weight: 3, arbitrary: tie('multipart') },
        { weight: 1, arbitrary: tie('embedded') },
      ),
      multipart: fc
        .record({
          subtype: fc.constantFrom(...SUBTYPES),
          children: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }),
          preamble: fc.boolean(),
          epilogue: fc.boolean(),
        })
        .map((part) => ({
          kind: 'multipart' as const,
          ...part,
          // A digest holds messages (RFC 2046 5.1.5), some written without Content-Type.
          children:
            part.subtype === 'digest'
              ? part.children.map((child, i) =>
                  child.kind === 'message'
                    ? { ...child, implicit: i % 2 === 0 }
                    : { kind: 'message' as const, implicit: i % 2 === 0, inner: child },
                )
              : part.children,
        })),
      embedded: tie('tree').map((inner) => ({ kind: 'message' as const, implicit: false, inner })),
    }),
  );
  return tree;
}

export interface MessageShape {
  tree: MimeTree;
  /** Leave out the blank line after some part headers (broken mail programs do). */
  dropBlankLines: boolean;
  bcc: boolean;
}

export const messageArbitrary: fc.Arbitrary<MessageShape> = fc.record({
  tree: mimeTreeArbitrary(),
  dropBlankLines: fc.boolean(),
  bcc: fc.boolean(),
});

/** The raw message of a shape (boundaries numbered by depth-first order). */
export function writeMessage(shape: MessageShape): Buffer {
  let nextBoundary = 0;
  let blankLineDropped = false;
  const eol = '\r\n';

  const headBlock = (lines: string[]): string => {
    // At most one missing blank line a message, after a part's own headers.
    if (shape.dropBlankLines && !blankLineDropped && lines.length > 0) {
      blankLineDropped = true;
      return lines.join(eol) + eol;
    }
    return lines.join(eol) + eol + eol;
  };

  const write = (tree: MimeTree, top: string[]): Buffer => {
    if (tree.kind === 'leaf') {
      const headers = [...top];
      if (tree.type !== 'none')
        headers.push(
          `Content-Type: ${tree.type}${tree.charset ? `; charset=${tree.charset}` : ''}`,
        );
      if (tree.encoding !== 'none') headers.push(`Content-Transfer-Encoding: ${tree.encoding}`);
      if (tree.disposition) headers.push(`Content-Disposition: ${tree.disposition}`);
      const body =
        tree.encoding === 'base64'
          ? Buffer.from(wrapBase64(base64(tree.content), 76))
          : tree.encoding === 'quoted-printable'
            ? Buffer.from(wrapQp(qp(tree.content), 76))
            : tree.content;
      return Buffer.concat([Buffer.from(headBlock(headers), 'latin1'), body]);
    }
    if (tree.kind === 'message') {
      const headers = tree.implicit ? [...top] : [...top, 'Content-Type: message/rfc822'];
      const inner = write(tree.inner, ['From: someone@example.net', 'Subject: forwarded']);
      return Buffer.concat([Buffer.from(headBlock(headers), 'latin1'), inner]);
    }
    const boundary = `b${nextBoundary++}`;
    const protocol = tree.subtype === 'signed' ? '; protocol="application/pgp-signature"' : '';
    const headers = [
      ...top,
      `Content-Type: multipart/${tree.subtype}; boundary="${boundary}"${protocol}`,
    ];
    const parts: Buffer[] = [Buffer.from(headers.join(eol) + eol + eol, 'latin1')];
    if (tree.preamble) parts.push(Buffer.from(`This is a multi-part message.${eol}`));
    for (const child of tree.children) {
      parts.push(Buffer.from(`--${boundary}${eol}`));
      parts.push(write(child, []));
      parts.push(Buffer.from(eol));
    }
    parts.push(Buffer.from(`--${boundary}--${eol}`));
    if (tree.epilogue) parts.push(Buffer.from(`epilogue${eol}`));
    return Buffer.concat(parts);
  };

  const top = [
    'From: Ada <ada@example.org>',
    'To: Bob <bob@example.com>',
    ...(shape.bcc ? ['Bcc: dave@example.com'] : []),
    'Subject: generated',
    'MIME-Version: 1.0',
  ];
  return write(shape.tree, top);
}

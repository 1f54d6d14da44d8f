// A streaming MIME rewriter built on mailsplit: the message is split into its
// parts, the top-level headers and the body text parts may be edited, and
// everything else (structure, attachments, inline images, embedded messages)
// is joined back byte for byte. A text part that is edited keeps its charset
// and transfer encoding (7bit, 8bit, quoted-printable or base64).
import { Joiner, Splitter, type Headers } from '@zone-eu/mailsplit';
import {
  PassThrough,
  pipeline,
  Transform,
  type Readable,
  type TransformCallback,
} from 'node:stream';

/** The mailsplit node type (its MimeNode class's instances). */
type MimeNode = InstanceType<typeof import('@zone-eu/mailsplit').MimeNode>;

interface BodyChunk {
  type: 'body';
  node: MimeNode;
  value: Buffer;
}

/** A body part of the message (not an attachment, not inside a forwarded message). */
export interface TextPart {
  kind: 'html' | 'text';
  /** Its place among the message's body parts of its kind (0 = first). */
  index: number;
  /** Decoded from its transfer encoding; still in its charset. */
  content: Buffer;
  charset: string | undefined;
}

export interface MessageEdits {
  /** Edits the message's own (top-level) headers. */
  headers?: (headers: Headers) => void;
  /** A body part's new content (same charset), or undefined to leave it byte for byte. */
  textPart?: (part: TextPart) => Buffer | undefined;
}

export function rewriteMessage(source: Readable, edits: MessageEdits): Readable {
  const output = new PassThrough();
  pipeline(source, new Splitter(), new BodyPartEditor(edits), new Joiner(), output, () => {
    // pipeline destroys `output` with the error, which its reader sees.
  });
  return output;
}

/** Reads a whole rewritten message (messages are size-limited at submission). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

class BodyPartEditor extends Transform {
  readonly #edits: MessageEdits;
  #pending: { node: MimeNode; kind: TextPart['kind']; chunks: Buffer[] } | undefined;
  readonly #seen = { html: 0, text: 0 };

  constructor(edits: MessageEdits) {
    super({ readableObjectMode: true, writableObjectMode: true });
    this.#edits = edits;
  }

  override _transform(
    chunk: MimeNode | BodyChunk | object,
    _: BufferEncoding,
    done: TransformCallback,
  ): void {
    const pending = this.#pending;
    if (pending && isBody(chunk) && chunk.node === pending.node) {
      pending.chunks.push(chunk.value);
      done();
      return;
    }
    this.#finishPending().then(
      () => {
        if (isNode(chunk)) this.#startNode(chunk);
        else this.push(chunk);
        done();
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _flush(done: TransformCallback): void {
    this.#finishPending().then(
      () => done(),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }

  #startNode(node: MimeNode): void {
    if (node.root && node.headers) this.#edits.headers?.(node.headers);
    const kind = this.#edits.textPart && bodyTextKind(node);
    if (kind) this.#pending = { node, kind, chunks: [] };
    else this.push(node);
  }

  /** Decodes the held part, lets the edit change it, and passes it on. */
  async #finishPending(): Promise<void> {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    const { node, kind } = pending;
    const raw = Buffer.concat(pending.chunks);
    const content = await through(node.getDecoder(), raw);
    const index = this.#seen[kind]++;
    const edited = this.#edits.textPart?.({
      kind,
      index,
      content,
      charset: node.charset || undefined,
    });
    this.push(node);
    if (edited === undefined) {
      if (raw.length > 0) this.push({ type: 'body', node, value: raw });
      return;
    }
    let encoded = await through(node.getEncoder(), edited);
    // The line break before a delimiter is carried by the delimiter's own
    // chunk, except after an empty body: the blank line that ended the
    // headers was that break. Only then does the new content need one (else
    // the delimiter would stand mid-line). Appending it always gave every
    // edited part an extra line, and a root body one the sender never wrote.
    if (node.parentNode && raw.length === 0 && encoded.at(-1) !== 0x0a)
      encoded = Buffer.concat([encoded, Buffer.from('\r\n')]);
    this.push({ type: 'body', node, value: encoded });
  }
}

function isNode(chunk: object): chunk is MimeNode {
  return (chunk as { type?: unknown }).type === 'node';
}

function isBody(chunk: object): chunk is BodyChunk {
  return (chunk as { type?: unknown }).type === 'body';
}

/**
 * html or text when the node is a body text part a reader sees as the
 * message. What a mail program shows, decided here (ADR 019):
 * - text/plain and text/html only. Other text subtypes (text/calendar,
 *   text/x-vcard, text/csv, text/enriched, unknown ones) are data or markup
 *   a program reads or renders its own way; a line added to them corrupts an
 *   invitation or a table, so they are left alone.
 * - A Content-Type that is not type/subtype (`text`, `text/`) is invalid and
 *   RFC 2045 5.2 reads it as text/plain: programs show it as the message
 *   text, so it counts as text.
 * - A part named by a filename (Content-Disposition filename= or
 *   Content-Type name=), with or without a disposition value, is a file the
 *   sender attached: programs list it as an attachment, never edited. So is
 *   one whose disposition is anything but inline, `filename="x"` written
 *   without a type included (RFC 2183 2.8: unknown types are attachments).
 * - A part without Content-Type is text/plain, except directly inside a
 *   multipart/digest, where it is a message/rfc822 (RFC 2046 5.1.5).
 * - Nothing inside an embedded message (someone else's mail) or a signed part.
 */
function bodyTextKind(node: MimeNode): TextPart['kind'] | undefined {
  const type = effectiveType(node);
  if (type !== 'text/html' && type !== 'text/plain') return undefined;
  if ((node.disposition && node.disposition !== 'inline') || node.filename) return undefined;
  // A forwarded message's parts are someone else's mail; a signed part
  // (S/MIME, PGP/MIME) would show a broken signature after any change.
  for (let parent = node.parentNode; parent; parent = parent.parentNode) {
    if (parent.rfc822 || parent.multipart === 'signed') return undefined;
  }
  return type === 'text/html' ? 'html' : 'text';
}

/** The node's content type as a reader applies the container's default rules. */
export function effectiveType(node: MimeNode): string {
  const declared = node.headers ? node.headers.get('content-type').length > 0 : false;
  if (!declared) {
    // mailsplit defaults every part to text/plain; a digest's parts are messages.
    return node.parentNode && node.parentNode.multipart === 'digest'
      ? 'message/rfc822'
      : node.contentType || 'text/plain';
  }
  const type = node.contentType || '';
  return /^[^/]+\/[^/]+$/.test(type) ? type : 'text/plain';
}

/** Runs bytes through a transform stream (a transfer-encoding decoder or encoder). */
async function through(stream: Transform | PassThrough, input: Buffer): Promise<Buffer> {
  const output = readAll(stream);
  stream.end(input);
  return output;
}

// The "only as yourself" check on a submitted message's own header block:
// every top-level From and Sender header, wherever it stands in the block. The
// whole block is read (never a fixed prefix: a forged From after 64 KB of
// ordinary headers went out unchecked), up to a limit past which the message
// is refused, so nothing is ever passed on unchecked.
import { open } from 'node:fs/promises';
import { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { headerValues, unfold } from './raw-headers.js';

/**
 * The largest top-level header block taken. Real mail programs write a few
 * kB; 256 KiB leaves room for long Received/ARC chains and stays well under
 * the MIME splitter's own 1 MiB per-node limit (past which it fails the
 * message, which would then go out as it came).
 */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/** Why a message is refused, as the SMTP reply the relay gives. */
export class SenderHeaderError extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The header block of the message in `file` (with its ending blank line, if any). */
export async function readHeaderBlock(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  let head: Buffer;
  let more: boolean;
  try {
    // One byte more than the limit tells "exactly at the limit" from "past it".
    const buffer = Buffer.alloc(MAX_HEADER_BLOCK_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
    more = bytesRead > MAX_HEADER_BLOCK_BYTES;
  } finally {
    await handle.close();
  }
  const end = headerBlockEnd(head);
  if (end !== undefined && end <= MAX_HEADER_BLOCK_BYTES) return head.subarray(0, end);
  // No blank line: the whole message is its header block, if it fits.
  if (!more) return head;
  throw new SenderHeaderError(
    552,
    `5.3.4 Header block larger than ${MAX_HEADER_BLOCK_BYTES / 1024} KB`,
  );
}

/**
 * Where the header block ends: after the first empty line, as the MIME
 * splitter (and any receiving MTA) reads it. A line holding only whitespace
 * is a folded continuation, not the end.
 */
function headerBlockEnd(message: Buffer): number | undefined {
  if (message[0] === 0x0a) return 1;
  if (message[0] === 0x0d && message[1] === 0x0a) return 2;
  const match = /\n\r?\n/.exec(message.toString('latin1'));
  return match ? match.index + match[0].length : undefined;
}

/**
 * Throws unless every From and Sender header in the block is exactly one
 * mailbox, the sender's own, and the block has no line break a reader could
 * see where we do not. A missing From is left to the receiving side (RFC 6409).
 */
export function checkSenderHeaders(block: Buffer, email: string): void {
  refuseAmbiguousBreaks(block);
  const headers = new Headers(block);
  // Parsing sets `mbox` when the first line starts with "From " (mbox
  // separator, or a header written "From : x" with a space before the colon),
  // and no header lookup then sees it. SMTP DATA carries no mbox separator:
  // a first line with a colon is read as the header it is to receivers; one
  // without is refused.
  headers.hasHeader('from');
  const firstLine = typeof headers.mbox === 'string' ? headers.mbox : undefined;
  // A date in the separator has colons too: only "From", spaces, then ":" is a header.
  const spacedFrom = firstLine !== undefined && /^from[ \t]*:/i.test(firstLine);
  if (firstLine !== undefined && !spacedFrom)
    throw new SenderHeaderError(554, '5.6.0 The message starts with an mbox "From " line');
  const own = email.toLowerCase();
  for (const key of ['from', 'sender']) {
    const values = headerValues(headers, key);
    if (key === 'from' && firstLine !== undefined)
      values.push(unfold(firstLine.slice(firstLine.indexOf(':') + 1)));
    if (!values.every((value) => isOwnMailbox(value, own)))
      throw new SenderHeaderError(
        550,
        `5.7.1 ${key === 'from' ? 'From' : 'Sender'} must be your own address (${email}), one mailbox and nothing else`,
      );
  }
}

/**
 * A bare CR (not before LF) or a NUL in the header block. Our parser splits
 * lines at LF only, while some MTAs and mail readers take a bare CR for a line
 * break (or cut a line at NUL): `Subject: x<CR>From: victim` is one Subject
 * here and a forged From there. Neither has any use in a header (RFC 5322 2.2
 * allows neither), so the message is refused rather than read one way.
 */
function refuseAmbiguousBreaks(block: Buffer): void {
  for (let i = 0; i < block.length; i++) {
    const byte = block[i];
    if (byte === 0x00 || (byte === 0x0d && block[i + 1] !== 0x0a))
      throw new SenderHeaderError(554, '5.6.0 Bare CR or NUL in the message header');
  }
}

/**
 * Whether an unfolded From or Sender value is exactly one mailbox whose
 * address is `own` (lower case), read by a strict subset of RFC 5322 3.4:
 *
 *   mailbox      = name-addr / addr-spec
 *   name-addr    = [display-name] angle-addr
 *   angle-addr   = [WSP] "<" addr-spec ">" [WSP]
 *   display-name = word *(word / "." / WSP)      ; phrase, with obs-phrase's "."
 *   word         = atom / quoted-string
 *   addr-spec    = the sender's own address, nothing else (case-insensitive)
 *
 * with RFC 6532's UTF-8 in atoms and quoted strings. Left out on purpose,
 * as the shapes parsers disagree on ("Composition Kills", USENIX Security
 * 2020) and mail programs do not write: comments, groups (an empty one has
 * no address at all), obs-route, whitespace or quoting inside the addr-spec,
 * anything after the mailbox (a second angle-addr or addr-spec that one
 * reader takes for the address and another for the name). A display name
 * holding "@" once RFC 2047 encoded words are decoded (and NFKC folds look-
 * alikes such as U+FF20) is refused too: readers show it where the address
 * would be. On top, nodemailer's addressparser must read the value as one
 * mailbox with the same address, so a gap in this grammar cannot accept
 * what that parser reads otherwise.
 */
export function isOwnMailbox(value: string, own: string): boolean {
  const mailbox = parseMailbox(value);
  if (!mailbox || mailbox.address.toLowerCase() !== own || nameHoldsAddress(mailbox.name, own))
    return false;
  const parsed = addressparser(value);
  const [only] = parsed;
  return (
    parsed.length === 1 &&
    only !== undefined &&
    !only.group &&
    only.address.toLowerCase() === own &&
    !nameHoldsAddress(only.name, own)
  );
}

/** The display name (words joined, quotes removed) and address of one mailbox. */
function parseMailbox(value: string): { name: string; address: string } | undefined {
  let at = 0;
  const skipSpace = () => {
    while (value[at] === ' ' || value[at] === '\t') at++;
  };
  skipSpace();
  const words: string[] = [];
  for (;;) {
    const char = value[at];
    if (char === '"') {
      const word = quotedString(value, at);
      if (!word) return undefined;
      words.push(word.text);
      at = word.end;
    } else if (char !== undefined && isAtext(char)) {
      const start = at;
      while (at < value.length && isAtext(value.charAt(at))) at++;
      words.push(value.slice(start, at));
    } else if (char === '.' && words.length > 0) {
      words.push('.');
      at++;
    } else break;
    skipSpace();
  }
  // No '<' after the words: the whole value must be a bare addr-spec. It is
  // compared as written (the caller compares it with the own address), so an
  // atom "me", then "@" and the rest is not taken apart here.
  if (value[at] !== '<') {
    // Trimmed by index: /[ \t]+$/ retries a long run of spaces from each position in it.
    let start = 0;
    let end = value.length;
    while (value[start] === ' ' || value[start] === '\t') start++;
    while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
    return { name: '', address: value.slice(start, end) };
  }
  const close = value.indexOf('>', at);
  if (close < 0) return undefined;
  const address = value.slice(at + 1, close);
  at = close + 1;
  skipSpace();
  if (at !== value.length) return undefined;
  return { name: words.join(' '), address };
}

/**
 * RFC 5322 3.2.4 quoted-string starting at `start` (no folds: the value is
 * unfolded): qtext, WSP, and quoted-pair = "\\" (VCHAR / WSP).
 */
function quotedString(value: string, start: number): { text: string; end: number } | undefined {
  let text = '';
  for (let at = start + 1; at < value.length; at++) {
    const char = value.charAt(at);
    if (char === '"') return { text, end: at + 1 };
    if (char === '\\') {
      at++;
      const next = value.charAt(at);
      if (!next || !(isVisible(next) || next === ' ' || next === '\t')) return undefined;
      text += next;
    } else if (isVisible(char) || char === ' ' || char === '\t') text += char;
    else return undefined;
  }
  return undefined;
}

/** RFC 5322 3.2.3 atext, plus RFC 6532 UTF-8 (any visible non-ASCII character). */
function isAtext(char: string): boolean {
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]$/.test(char) || isVisibleNonAscii(char);
}

/** VCHAR (RFC 5234) or visible non-ASCII (RFC 6532). */
function isVisible(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code > 0x20 && code < 0x7f) || isVisibleNonAscii(char);
}

/**
 * Non-ASCII other than controls (C1 holds NEL, U+0085, a line break to some
 * readers) and the Unicode line and paragraph separators.
 */
function isVisibleNonAscii(char: string): boolean {
  return char.charCodeAt(0) >= 0x80 && !/[\p{Cc}\p{Zl}\p{Zp}]/u.test(char);
}

/**
 * Whether a display name, raw or with its RFC 2047 encoded words decoded
 * (as readers show it), holds an "@" or a character NFKC folds into one. A
 * name that is the sender's own address (some mail programs write the
 * address as the name when none is set) shows nothing foreign and is kept.
 */
function nameHoldsAddress(name: string, own: string): boolean {
  let decoded: string;
  try {
    decoded = libmime.decodeWords(name);
  } catch {
    // A name the decoder cannot read may read as anything elsewhere.
    return true;
  }
  return [name, decoded].some((text) => {
    const shown = text.normalize('NFKC').trim().toLowerCase();
    return shown.includes('@') && shown !== own;
  });
}

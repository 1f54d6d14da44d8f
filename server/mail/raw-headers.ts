// A raw message's top-level header block, read with mailsplit's Headers, for
// the places that must not parse the whole MIME tree: mail the rewriter could
// not read or must not change (which must still lose its Bcc header), and the
// address lists the relay's checks and plan read (sender-headers.ts).
import { Headers } from '@zone-eu/mailsplit';
import addressparser from 'nodemailer/lib/addressparser';
import libmime from 'libmime';
import type { HeaderRecipient } from './recipient-plan.js';

/** The header block (with its blank line) and what follows it. */
function split(message: Buffer): { headers: Headers; rest: Buffer } {
  const match = /\r?\n\r?\n/.exec(message.toString('latin1'));
  const end = match ? match.index + match[0].length : message.length;
  return { headers: new Headers(message.subarray(0, end)), rest: message.subarray(end) };
}

/** The message without its top-level Bcc header. */
export function withoutBccHeader(message: Buffer): Buffer {
  const { headers, rest } = split(message);
  if (!headers.hasHeader('bcc')) return message;
  headers.remove('bcc');
  return Buffer.concat([headers.build(), rest]);
}

/**
 * The value of every `key` header, unfolded (RFC 5322 2.2.3: a line break
 * followed by whitespace is removed), without its name and colon.
 */
export function headerValues(headers: Headers, key: string): string[] {
  return headers.get(key).map((line) => unfold(line.replace(/^[^:]*:/, '')));
}

/** A header value unfolded (the line breaks of its folds removed, the whitespace kept). */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

/**
 * The addresses (with display names) in every `key` header, groups flattened:
 * for reading recipients only. The sender check must not use it: flattening
 * hides an empty group, and a second address ends up in a display name
 * (sender-headers.ts reads From and Sender by a strict rule).
 */
export function addressesIn(headers: Headers, key: string): HeaderRecipient[] {
  return headers.get(key).flatMap((line) =>
    addressparser(line.replace(/^[^:]*:/, ''), { flatten: true }).map((entry) => ({
      address: entry.address,
      name: entry.name ? libmime.decodeWords(entry.name) : undefined,
    })),
  );
}

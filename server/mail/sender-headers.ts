// The "only as yourself" check on a submitted message's own header block:
// every top-level From and Sender header, wherever it stands in the block. The
// whole block is read (never a fixed prefix: a forged From after 64 KB of
// ordinary headers went out unchecked), up to a limit past which the message
// is refused, so nothing is ever passed on unchecked.
import { open } from 'node:fs/promises';
import { Headers } from '@zone-eu/mailsplit';
import { addressesIn } from './raw-headers.js';
import type { HeaderRecipient } from './recipient-plan.js';

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
 * Throws unless every From and Sender address in the header block is the
 * sender's own. A missing From is left to the receiving side (RFC 6409).
 */
export function checkSenderHeaders(block: Buffer, email: string): void {
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
    const addresses = addressesIn(headers, key);
    if (key === 'from' && firstLine !== undefined) addresses.push(...spacedAddresses(firstLine));
    if (addresses.some((entry) => entry.address.toLowerCase() !== own))
      throw new SenderHeaderError(
        550,
        `5.7.1 ${key === 'from' ? 'From' : 'Sender'} must be your own address (${email})`,
      );
  }
}

/** The addresses of a "From : ..." line (its key, which holds the space, replaced). */
function spacedAddresses(line: string): HeaderRecipient[] {
  const headers = new Headers(Buffer.from(`X${line.slice(line.indexOf(':'))}\r\n\r\n`, 'latin1'));
  return addressesIn(headers, 'x');
}

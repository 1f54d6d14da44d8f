// What the relay reads from a submitted message, and how it edits each copy:
// the opt-out marks and the Bcc header go, a missing Date or Message-ID is
// added (RFC 6409 lets a submission server do so), and the copy's device is
// put into every body part.
import type { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { Readable } from 'node:stream';
import { canInsertInto, carriesDevice, insertDevice } from './device-insertion.js';
import type { RenderedDevice } from './device.js';
import { readAll, rewriteMessage, type MessageEdits } from './message-rewriter.js';
import { addressesIn } from './raw-headers.js';
import type { HeaderRecipient } from './recipient-plan.js';

/** The subject tag that opts one message out (removed before sending). */
const NO_VOICE_TAG = /\[novoice\]/i;

function withoutTag(subject: string): string {
  return subject.replace(/\s*\[novoice\]\s*/gi, ' ').trim();
}
const OPT_OUT_HEADER = 'x-voxreply';

export interface MessageFacts {
  subject: string | undefined;
  /** The Message-ID header's value as submitted; undefined when there is none. */
  messageIdHeader: string | undefined;
  /** Body parts of each kind (none: nowhere to put a device, e.g. signed mail). */
  bodyParts: { html: number; text: number };
  visibleRecipients: HeaderRecipient[];
  optedOut: boolean;
  carriesDevice: boolean;
  /**
   * Whether the last body part of each kind (where a device goes) can take
   * one: a message with none gets no device, so no link is minted for it.
   */
  insertable: { html: boolean; text: boolean };
  /**
   * Why the message must go out as submitted, or undefined. Set when the
   * splitter and joiner, with no edit at all, do not give back the exact
   * bytes: every copy built from them would change the sender's message.
   */
  notRoundTripping: string | undefined;
}

/** Whether a copy of the message with these facts would carry a device. */
export function takesDevice(facts: MessageFacts): boolean {
  return (
    !facts.optedOut &&
    !facts.carriesDevice &&
    facts.notRoundTripping === undefined &&
    (facts.insertable.html || facts.insertable.text)
  );
}

/**
 * Reads the headers and body parts once (pass one of two), and checks that
 * the split and join give the message back byte for byte.
 */
export async function inspectMessage(
  message: Buffer,
  replyUrlPrefix: string,
): Promise<MessageFacts> {
  const facts: MessageFacts = {
    subject: undefined,
    messageIdHeader: undefined,
    visibleRecipients: [],
    optedOut: false,
    carriesDevice: false,
    bodyParts: { html: 0, text: 0 },
    insertable: { html: false, text: false },
    notRoundTripping: undefined,
  };
  const joined = await readAll(
    rewriteMessage(Readable.from([message]), {
      headers: (headers) => {
        const subject = decodedHeader(headers, 'subject');
        facts.subject = withoutTag(subject) || undefined;
        if (headers.hasHeader('message-id')) facts.messageIdHeader = headers.getFirst('message-id');
        facts.optedOut =
          /^\s*off\s*$/i.test(headers.getFirst(OPT_OUT_HEADER)) || NO_VOICE_TAG.test(subject);
        facts.visibleRecipients = ['to', 'cc'].flatMap((key) => addressesIn(headers, key));
      },
      textPart: (part) => {
        facts.bodyParts[part.kind] += 1;
        // The last one of its kind wins: the device goes there (editsForCopy).
        facts.insertable[part.kind] = canInsertInto(part);
        if (carriesDevice(part, replyUrlPrefix)) facts.carriesDevice = true;
        return undefined;
      },
    }),
  );
  if (!joined.equals(message)) facts.notRoundTripping = firstDifference(message, joined);
  return facts;
}

/** Where two messages first differ, for the log (never their content). */
function firstDifference(input: Buffer, output: Buffer): string {
  let at = 0;
  while (at < input.length && at < output.length && input[at] === output[at]) at += 1;
  const line = input.subarray(0, at).toString('latin1').split('\n').length;
  return (
    `split/join without edits is not byte-identical (input ${input.length} bytes, ` +
    `output ${output.length} bytes, first difference at byte ${at}, line ${line})`
  );
}

/**
 * The Message-ID every copy goes out with, for replies to name: the sender's
 * own (null when its value holds no "<left@right>"), else the one we add.
 */
export function outgoingMessageId(header: string | undefined, added: string): string | null {
  if (header === undefined) return added;
  return /<[^<>\s"]{1,250}@[^<>\s"]{1,250}>/.exec(header)?.[0] ?? null;
}

export interface CopyEdits {
  /** The device this copy carries, or none. */
  device: RenderedDevice | undefined;
  /** For a missing Message-ID (the same in every copy of one message). */
  messageId: string;
  date: Date;
  /**
   * Body parts of each kind in the message: the device goes into the last of
   * each (Apple Mail splits one HTML body around an inline image).
   */
  bodyParts: { html: number; text: number };
}

export function editsForCopy(copy: CopyEdits): MessageEdits {
  const { device } = copy;
  return {
    headers: (headers) => {
      headers.remove(OPT_OUT_HEADER);
      // Every copy goes out on its own envelope: the Bcc list is nobody's to read.
      headers.remove('bcc');
      removeNoVoiceTag(headers);
      if (!headers.hasHeader('date')) headers.add('Date', copy.date.toUTCString());
      if (!headers.hasHeader('message-id')) headers.add('Message-ID', copy.messageId);
    },
    ...(device
      ? {
          textPart: (part) =>
            part.index === copy.bodyParts[part.kind] - 1 && canInsertInto(part)
              ? insertDevice(part, device)
              : undefined,
        }
      : {}),
  };
}

/** Takes the tag out of the Subject, re-encoding it when the tag sat inside encoded words. */
function removeNoVoiceTag(headers: Headers): void {
  const raw = headers.getFirst('subject');
  const decoded = decodedHeader(headers, 'subject');
  if (!NO_VOICE_TAG.test(decoded)) return;
  headers.update(
    'Subject',
    NO_VOICE_TAG.test(raw) ? withoutTag(raw) : libmime.encodeWords(withoutTag(decoded), 'Q', 52),
  );
}

function decodedHeader(headers: Headers, key: string): string {
  const value = headers.getFirst(key);
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

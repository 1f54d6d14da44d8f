// The message that tells a sender the relay could not deliver their mail: who
// was refused and what the receiving server said, with the original attached
// (its headers only when it is large).
import { composeMessage } from './compose.js';

export interface FailedRecipient {
  address: string;
  error: string;
}

export interface BounceInput {
  hostname: string;
  to: string;
  subject: string | null;
  failures: FailedRecipient[];
  original: Buffer;
}

/** Above this the bounce carries the original's headers, not the whole message. */
const MAX_ATTACHED_BYTES = 256 * 1024;

export async function composeBounce(input: BounceInput): Promise<Buffer> {
  const headerEnd = input.original.indexOf('\r\n\r\n');
  const whole = input.original.length <= MAX_ATTACHED_BYTES;
  const attached = whole
    ? input.original
    : input.original.subarray(0, headerEnd >= 0 ? headerEnd + 2 : MAX_ATTACHED_BYTES);
  const text = [
    'Your message could not be delivered to these recipients:',
    '',
    ...input.failures.map((failure) => `  ${failure.address}: ${failure.error}`),
    '',
    `The original message is attached${whole ? '' : ' (its headers only: it is large)'}.`,
  ].join('\n');
  return composeMessage({
    from: { name: 'Mail Delivery System', address: `mailer-daemon@${input.hostname}` },
    to: input.to,
    subject: `Undelivered mail: ${input.subject ?? '(no subject)'}`,
    headers: { 'Auto-Submitted': 'auto-replied' },
    text,
    attachments: [
      whole
        ? { filename: 'original.eml', contentType: 'message/rfc822', content: attached }
        : {
            filename: 'original-headers.txt',
            contentType: 'text/rfc822-headers',
            content: attached,
          },
    ],
  });
}

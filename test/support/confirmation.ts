// The confirmation emails the server mailed, as the mailbox's reader finds them
// in the sink: shared by every test that confirms an address as a user would.
import { simpleParser } from 'mailparser';
import { expect } from 'vitest';
import type { MailSink } from './mail-sink.js';

export const CONFIRMATION_SUBJECT = 'Confirm your email address for Voxreply';

export interface ConfirmationMail {
  text: string;
  /** The link to click, or undefined ("already yours" mails carry none). */
  link: string | undefined;
}

/** Every confirmation email the sink holds for `to`, in arrival order. */
export async function confirmationMails(sink: MailSink, to: string): Promise<ConfirmationMail[]> {
  const mails: ConfirmationMail[] = [];
  for (const mail of sink.received) {
    if (!mail.to.includes(to)) continue;
    const parsed = await simpleParser(mail.raw);
    if (parsed.subject !== CONFIRMATION_SUBJECT) continue;
    const text = parsed.text ?? '';
    mails.push({ text, link: /https?:\/\/\S+\/app#confirm=[A-Za-z0-9_-]+/.exec(text)?.[0] });
  }
  return mails;
}

/** Waits until `count` links went to `to`; all of them, in arrival order. */
export async function confirmationLinks(sink: MailSink, to: string, count = 1): Promise<string[]> {
  let links: string[] = [];
  await expect
    .poll(
      async () => {
        links = (await confirmationMails(sink, to)).flatMap((mail) => mail.link ?? []);
        return links.length;
      },
      { timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return links;
}

/** The link of the first confirmation email to `to` (waiting for it). */
export async function confirmationLink(sink: MailSink, to: string): Promise<string> {
  return (await confirmationLinks(sink, to))[0] ?? '';
}

/** The code of a confirmation link (its `#confirm=` part). */
export function codeOf(link: string): string {
  return /#confirm=([A-Za-z0-9_-]+)/.exec(link)?.[1] ?? '';
}

/** The code of the first confirmation email to `to` (waiting for it). */
export async function confirmationCode(sink: MailSink, to: string): Promise<string> {
  return codeOf(await confirmationLink(sink, to));
}

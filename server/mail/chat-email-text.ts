// What a chat email says (server/mail/chat-emails.ts decides when one goes):
// the unread messages of one burst, as plain text, with the way back into the
// chat. To the sender: a link to the chat in the desk app. To a recipient:
// their own reply link, in the thread of the email it came with.
import type MailComposer from 'nodemailer/lib/mail-composer';
import type { ChatMessage } from '../../protocol/chat.js';

/** The unread messages an email carries (the newest few) and how many there are. */
export interface UnreadBurst {
  messages: ChatMessage[];
  total: number;
}

export interface ToSender {
  /** MAIL_FROM. */
  from: string;
  sender: { name: string; address: string };
  /** Who wrote, as their messages name them. */
  author: string;
  subject: string | null;
  burst: UnreadBurst;
  /** The chat in the desk app: PUBLIC_URL/app#chat-<link id>. */
  chatUrl: string;
  settingsUrl: string;
}

export function mailToSender(mail: ToSender): MailComposer.Options {
  const { burst, author } = mail;
  return {
    from: mail.from,
    to: mail.sender,
    subject:
      burst.total === 1
        ? `New chat message from ${author}`
        : `${burst.total} new chat messages from ${author}`,
    headers: { 'Auto-Submitted': 'auto-generated' },
    text: [
      `${author} wrote to you in the chat${about(mail.subject)} while no desk app of yours was ` +
        `open; ${burst.total === 1 ? 'it is' : 'they are'} still unread:`,
      '',
      ...transcript(burst),
      `Answer in the chat: ${mail.chatUrl}`,
      '',
      `You get these emails because chat emails are on. Turn them off: ${mail.settingsUrl}`,
    ].join('\n'),
  };
}

export interface ToRecipient {
  /** The bare address of MAIL_FROM (the From shows the sender's name with it). */
  fromAddress: string;
  senderName: string;
  recipient: { name: string; address: string };
  subject: string | null;
  /** The relayed message's Message-ID, when known: the email joins its thread. */
  inReplyTo: string | null;
  burst: UnreadBurst;
  /** The recipient's own reply link. */
  replyUrl: string;
}

export function mailToRecipient(mail: ToRecipient): MailComposer.Options {
  const { burst, senderName } = mail;
  return {
    from: { name: `${senderName} via Voxreply`, address: mail.fromAddress },
    to: mail.recipient,
    subject: mail.subject
      ? reSubject(mail.subject)
      : `${senderName} wrote to you in the reply-by-voice chat`,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: [mail.inReplyTo] } : {}),
    headers: { 'Auto-Submitted': 'auto-generated' },
    text: [
      `${senderName} wrote to you in the chat of your reply-by-voice link${about(mail.subject)} ` +
        'after you had left the page:',
      '',
      ...transcript(burst),
      `Answer in the chat, or call ${senderName}: ${mail.replyUrl}`,
      '',
      'This link is yours alone: please do not forward this email.',
    ].join('\n'),
  };
}

/** "Re: <subject>", without stacking "Re:"s. */
export function reSubject(subject: string): string {
  const line = oneLine(subject);
  return /^re:/i.test(line) ? line : `Re: ${line}`;
}

/** A header's worth of text: no line breaks, runs of blanks as one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function about(subject: string | null): string {
  return subject ? ` about "${oneLine(subject)}"` : '';
}

function transcript(burst: UnreadBurst): string[] {
  const earlier = burst.total - burst.messages.length;
  return [
    ...(earlier > 0
      ? [`(${earlier} earlier message${earlier === 1 ? '' : 's'} not shown)`, '']
      : []),
    ...burst.messages.flatMap((message) => [
      `${message.authorName}, ${new Date(message.sentAt).toUTCString()}:`,
      message.text,
      '',
    ]),
  ];
}

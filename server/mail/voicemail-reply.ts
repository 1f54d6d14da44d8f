// A voice message left about a relayed email, as a reply in that email's
// thread in the sender's mailbox: In-Reply-To and References name the relayed
// message's Message-ID, the subject is "Re: <subject>", the recording (Ogg/
// Opus, as stored) is attached, and a link plays it in the desk app.
import { readFile, stat } from 'node:fs/promises';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type { Logger } from '../logger.js';
import type { RelayedMessage } from '../store/relayed-message-store.js';
import { reSubject } from './chat-email-text.js';

/**
 * Larger recordings are not attached (the link still plays them): with base64
 * they would pass the 25 MB many mail servers take. At Opus voice rates this
 * is over an hour of speech.
 */
export const MAX_ATTACHED_BYTES = 10 * 1024 * 1024;

export interface VoicemailReply {
  id: string;
  callerName: string;
  callerEmail: string | null;
  durationMs: number;
  /** The stored recording's file. */
  recordingPath: string;
  thread: RelayedMessage;
  /** The bare address of MAIL_FROM (the From shows the caller's name with it). */
  fromAddress: string;
  publicUrl: string;
  /** The last lines (why this email came, how to turn it off). */
  footer: string;
}

/** The reply's parts (From, To and the rest come from the caller of this). */
export async function voicemailReply(
  reply: VoicemailReply,
  logger: Logger,
): Promise<MailComposer.Options> {
  const { thread } = reply;
  const seconds = Math.round(reply.durationMs / 1000);
  const length = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  const who = reply.callerEmail ? `${reply.callerName} <${reply.callerEmail}>` : reply.callerName;
  const recording = await attachable(reply.recordingPath).catch((error: unknown) => {
    // Deleted in the desk before this was written, or unreadable.
    logger.warn({ err: error, voicemailId: reply.id }, 'voice message not attached');
    return 'missing' as const;
  });
  const attached = Buffer.isBuffer(recording) ? recording : undefined;
  return {
    from: { name: `${reply.callerName} via Voxreply`, address: reply.fromAddress },
    ...(reply.callerEmail
      ? { replyTo: { name: reply.callerName, address: reply.callerEmail } }
      : {}),
    subject: thread.subject ? reSubject(thread.subject) : `Voice message from ${reply.callerName}`,
    ...(thread.messageId ? { inReplyTo: thread.messageId, references: [thread.messageId] } : {}),
    text: [
      `${who} answered ${thread.subject ? `your email "${thread.subject}"` : 'your email'} with a voice message (${length}).`,
      '',
      `Listen to it in Voxreply: ${reply.publicUrl}/app#voicemail-${reply.id}`,
      attached
        ? 'The recording is attached (Ogg/Opus).'
        : recording === 'too large'
          ? 'The recording is too large to attach: play it with the link above.'
          : 'The recording could not be attached: play it with the link above.',
      '',
      reply.footer,
    ].join('\n'),
    ...(attached
      ? {
          attachments: [
            { filename: 'voice-message.ogg', contentType: 'audio/ogg', content: attached },
          ],
        }
      : {}),
  };
}

/** The recording's bytes, unless it is too large to attach. */
async function attachable(file: string): Promise<Buffer | 'too large'> {
  if ((await stat(file)).size > MAX_ATTACHED_BYTES) return 'too large';
  return readFile(file);
}

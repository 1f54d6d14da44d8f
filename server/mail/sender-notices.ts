// Emails to senders about calls nobody answered and voice messages left,
// through the same spool and smarthost as relayed mail (so they survive
// restarts and retry). Each sender can turn them off in the desk app. A voice
// message about a relayed email goes back into that email's thread, with the
// recording attached (voicemail-reply.ts).
import type MailComposer from 'nodemailer/lib/mail-composer';
import type { Logger } from '../logger.js';
import type { MissedCall } from '../calls/call-records.js';
import type { AccountStore } from '../store/account-store.js';
import type { RelayedMessageStore } from '../store/relayed-message-store.js';
import { composeMessage, envelopeAddress } from './compose.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { voicemailReply } from './voicemail-reply.js';

export interface SenderNoticesOptions {
  queue: DeliveryQueue;
  accounts: AccountStore;
  /** The relayed messages links were minted for (voice messages reply in their thread). */
  relayed?: RelayedMessageStore;
  /** MAIL_FROM: "Name <address>" or an address. */
  from: string;
  publicUrl: string;
  logger: Logger;
}

export interface VoiceMessageNotice {
  id: string;
  accountId: number;
  /** The link it was left on. */
  linkId: number;
  /** The stored recording (attached to a reply in a relayed email's thread). */
  recordingPath?: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  durationMs: number;
}

export class SenderNotices {
  readonly #options: SenderNoticesOptions;

  constructor(options: SenderNoticesOptions) {
    this.#options = options;
  }

  /** Queues the email; failures are logged (a lost notice must not touch the call). */
  missedCall(missed: MissedCall): void {
    this.#missedCall(missed).catch((error: unknown) =>
      this.#options.logger.error(
        { err: error, callId: missed.callId },
        'could not queue a missed-call email',
      ),
    );
  }

  voiceMessage(message: VoiceMessageNotice): void {
    this.#voiceMessage(message).catch((error: unknown) =>
      this.#options.logger.error(
        { err: error, voicemailId: message.id },
        'could not queue a voice-message email',
      ),
    );
  }

  async #voiceMessage(message: VoiceMessageNotice): Promise<void> {
    const { publicUrl, relayed, from, logger } = this.#options;
    const thread = await relayed?.forLink(message.linkId);
    if (thread && message.recordingPath) {
      const { recordingPath } = message;
      await this.#mail(message.accountId, () =>
        voicemailReply(
          {
            ...message,
            recordingPath,
            thread,
            fromAddress: envelopeAddress(from),
            publicUrl,
            footer: this.#footer(),
          },
          logger,
        ),
      );
      return;
    }
    const who = message.callerEmail
      ? `${message.callerName} <${message.callerEmail}>`
      : message.callerName;
    const seconds = Math.round(message.durationMs / 1000);
    await this.#send(message.accountId, `Voice message from ${message.callerName}`, [
      `${who} left you a voice message (${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}).`,
      ...(message.subject ? [`About: ${message.subject}`] : []),
      '',
      `Listen to it: ${publicUrl}/app#voicemail-title`,
    ]);
  }

  async #missedCall(missed: MissedCall): Promise<void> {
    const who = missed.callerEmail
      ? `${missed.callerName} <${missed.callerEmail}>`
      : missed.callerName;
    await this.#send(missed.accountId, `Missed call from ${missed.callerName}`, [
      `${who} called you at ${missed.startedAt.toUTCString()} and nobody answered.`,
      ...(missed.subject ? [`About: ${missed.subject}`] : []),
      '',
      `Your calls: ${this.#options.publicUrl}/app#history-title`,
      'If they leave a voice message, another email tells you.',
    ]);
  }

  async #send(accountId: number, subject: string, lines: string[]): Promise<void> {
    await this.#mail(accountId, () =>
      Promise.resolve({ subject, text: [...lines, '', this.#footer()].join('\n') }),
    );
  }

  #footer(): string {
    return `You get these emails because call emails are on. Turn them off: ${this.#options.publicUrl}/app#mail-title`;
  }

  /** Mails the account, if it wants call emails and the address is its own. */
  async #mail(accountId: number, build: () => Promise<MailComposer.Options>): Promise<void> {
    const { accounts, queue, from } = this.#options;
    const account = await accounts.findById(accountId);
    if (!account?.settings.notifyMissedCalls) return;
    // Only the address's one account (confirmed, else oldest) mails it: another
    // account that merely named the address (a stranger's sign-up) would have
    // the product mail its owner text of the stranger's choosing (ADR 006).
    if ((await accounts.findByEmail(account.email))?.id !== account.id) {
      this.#options.logger.info(
        { accountId },
        'notice not mailed: the address is not this account’s',
      );
      return;
    }
    const message = await composeMessage({
      from,
      headers: { 'Auto-Submitted': 'auto-generated' },
      ...(await build()),
      to: { name: account.displayName, address: account.email },
    });
    await queue.addGenerated({ from: envelopeAddress(from), to: [account.email] }, message);
  }
}

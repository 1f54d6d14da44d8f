// "You missed a call" emails to senders, through the same spool and smarthost
// as relayed mail (so they survive restarts and retry). Each sender can turn
// them off in the desk app.
import type { Logger } from '../logger.js';
import type { MissedCall } from '../calls/call-orchestrator.js';
import type { AccountStore } from '../store/account-store.js';
import { composeMessage } from './compose.js';
import type { DeliveryQueue } from './delivery-queue.js';

export interface MissedCallNoticesOptions {
  queue: DeliveryQueue;
  accounts: AccountStore;
  /** MAIL_FROM: "Name <address>" or an address. */
  from: string;
  publicUrl: string;
  logger: Logger;
}

export class MissedCallNotices {
  readonly #options: MissedCallNoticesOptions;

  constructor(options: MissedCallNoticesOptions) {
    this.#options = options;
  }

  /** Queues the email; failures are logged (a lost notice must not touch the call). */
  notify(missed: MissedCall): void {
    this.#send(missed).catch((error: unknown) =>
      this.#options.logger.error(
        { err: error, callId: missed.callId },
        'could not queue a missed-call email',
      ),
    );
  }

  async #send(missed: MissedCall): Promise<void> {
    const { accounts, queue, from, publicUrl } = this.#options;
    const account = await accounts.findById(missed.accountId);
    if (!account?.settings.notifyMissedCalls) return;
    const who = missed.callerEmail
      ? `${missed.callerName} <${missed.callerEmail}>`
      : missed.callerName;
    const historyUrl = `${publicUrl}/app#history-title`;
    const settingsUrl = `${publicUrl}/app#mail-title`;
    const message = await composeMessage({
      from,
      to: { name: account.displayName, address: account.email },
      subject: `Missed call from ${missed.callerName}`,
      headers: { 'Auto-Submitted': 'auto-generated' },
      text: [
        `${who} called you at ${missed.startedAt.toUTCString()} and nobody answered.`,
        ...(missed.subject ? [`About: ${missed.subject}`] : []),
        '',
        `Your calls: ${historyUrl}`,
        '',
        `You get these emails because missed-call emails are on. Turn them off: ${settingsUrl}`,
      ].join('\n'),
    });
    await queue.addGenerated({ from: envelopeAddress(from), to: [account.email] }, message);
  }
}

/** The bare address of "Name <address>". */
function envelopeAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
}

// Confirming that an account's holder reads the mail of its address: a code
// (in a link) mailed there through the product's own spool and smarthost.
// Holding a reply link proves nothing (a forwarded email carries it), so this
// is the only way an address becomes confirmed, and confirming it takes the
// address from any other account that named it (ADR 006).
import type { Logger } from '../logger.js';
import { composeMessage } from '../mail/compose.js';
import type { DeliveryQueue } from '../mail/delivery-queue.js';
import type { Account, AccountStore } from '../store/account-store.js';
import type { EmailConfirmationStore } from '../store/email-confirmation-store.js';

export interface AddressConfirmationsOptions {
  accounts: AccountStore;
  codes: EmailConfirmationStore;
  publicUrl: string;
  /** The mail spool and MAIL_FROM; without a smarthost no address can be confirmed. */
  mail: { queue: Pick<DeliveryQueue, 'addGenerated'>; from: string } | undefined;
  logger: Logger;
}

export class AddressConfirmations {
  readonly #options: AddressConfirmationsOptions;

  constructor(options: AddressConfirmationsOptions) {
    this.#options = options;
    if (!options.mail)
      options.logger.warn('no MAIL_SMARTHOST: sign-ups cannot confirm their addresses');
  }

  /**
   * Mails the address of a new account. Not awaited by the sign-up: its answer
   * and timing must not depend on what the mail says (whether the address is
   * taken). Failures are logged.
   */
  request(account: Account): void {
    this.#request(account).catch((error: unknown) =>
      this.#options.logger.error(
        { err: error, accountId: account.id },
        'could not queue an address confirmation',
      ),
    );
  }

  /** The account a code confirms the address of, or undefined (unknown, used, expired, lost). */
  async confirm(code: string): Promise<Account | undefined> {
    const { accounts, codes, logger } = this.#options;
    const pending = await codes.take(code);
    if (!pending) return undefined;
    const confirmed = await accounts.confirmEmail(pending.accountId, pending.email);
    logger.info({ accountId: pending.accountId, confirmed }, 'address confirmation used');
    if (!confirmed) return undefined;
    await codes.forgetAccount(pending.accountId);
    return accounts.findById(pending.accountId);
  }

  async #request(account: Account): Promise<void> {
    const { accounts, codes, publicUrl, mail, logger } = this.#options;
    if (!mail) return;
    const holder = (await accounts.loginCandidates(account.email, 1))[0];
    const taken = holder !== undefined && holder.id !== account.id && holder.emailVerifiedAt;
    // The mailbox's owner reads this; the one who signed up does not. A confirmed
    // holder keeps the address (it was proved before); the owner is told how to log in.
    const lines = taken
      ? [
          `Someone signed up for Voxreply as ${account.email} (name: ${account.displayName}).`,
          'This address already belongs to your confirmed Voxreply account, so nothing changes.',
          '',
          `If it was you, log in instead: ${publicUrl}/app`,
          'If it was not you, you can ignore this email.',
        ]
      : [
          `Someone signed up for Voxreply as ${account.email} (name: ${account.displayName}).`,
          'If it was you, confirm that this address is yours:',
          '',
          `${publicUrl}/app#confirm=${await codes.create(account.id, account.email)}`,
          '',
          'Confirming also takes the address from any other account that used it without confirming.',
          'If it was not you, ignore this email: nothing of your mail is shown to anyone.',
        ];
    const message = await composeMessage({
      from: mail.from,
      to: { name: account.displayName, address: account.email },
      subject: 'Confirm your email address for Voxreply',
      headers: { 'Auto-Submitted': 'auto-generated' },
      text: lines.join('\n'),
    });
    await mail.queue.addGenerated(
      { from: envelopeAddress(mail.from), to: [account.email] },
      message,
    );
    logger.info({ accountId: account.id, taken: Boolean(taken) }, 'address confirmation queued');
  }
}

/** The bare address of "Name <address>". */
function envelopeAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
}

// Confirming that an account's holder reads the mail of its address: a code
// (in a link) mailed there through the product's own spool and smarthost.
// Holding a reply link proves nothing (a forwarded email carries it), so this
// is the only way an address becomes confirmed, and confirming it takes the
// address from any other account that named it (ADR 006).
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';
import { composeMessage, envelopeAddress } from '../mail/compose.js';
import type { DeliveryQueue } from '../mail/delivery-queue.js';
import type { Account, AccountStore } from '../store/account-store.js';
import type { EmailConfirmationStore } from '../store/email-confirmation-store.js';

/** Confirmation mails one address may receive a day (ADR 006). */
export const CONFIRMATION_MAILS_PER_DAY = 3;

export interface AddressConfirmationsOptions {
  accounts: AccountStore;
  codes: EmailConfirmationStore;
  publicUrl: string;
  /** The mail spool and MAIL_FROM; without a smarthost no address can be confirmed. */
  mail: { queue: Pick<DeliveryQueue, 'addGenerated'>; from: string } | undefined;
  logger: Logger;
}

/** What became of a code shown by a logged-in account (or by none). */
export type ConfirmOutcome =
  | { kind: 'confirmed'; account: Account }
  /** Unknown, used or expired. */
  | { kind: 'unknown' }
  /** Issued to another account than the one showing it. */
  | { kind: 'not-yours' }
  /** Another account confirmed the address first. */
  | { kind: 'taken' };

export class AddressConfirmations {
  readonly #options: AddressConfirmationsOptions;
  // Per mailbox, not per client: whoever asks (sign-ups under many names from
  // many addresses, resends), its owner gets at most a few mails a day from us.
  // Not scaled by RATE_LIMIT_MULTIPLIER: it protects a third party's inbox, and
  // in memory per node like the other limits (ADR 006).
  readonly #mailsPerAddress = new RateLimiterMemory({
    points: CONFIRMATION_MAILS_PER_DAY,
    duration: 24 * 3600,
  });

  constructor(options: AddressConfirmationsOptions) {
    this.#options = options;
    if (!options.mail)
      options.logger.warn('no MAIL_SMARTHOST: sign-ups cannot confirm their addresses');
  }

  /**
   * Mails the address of a new account. Not awaited by the sign-up: its answer
   * and timing must not depend on what the mail says (whether the address is
   * taken) or whether the address's daily allowance is spent. Failures are logged.
   */
  request(account: Account): void {
    this.#allowed(account.email)
      .then((allowed) => {
        if (allowed) return this.#send(account);
        this.#options.logger.info(
          { accountId: account.id },
          'address confirmation not mailed: daily limit for the address',
        );
        return undefined;
      })
      .catch((error: unknown) =>
        this.#options.logger.error(
          { err: error, accountId: account.id },
          'could not queue an address confirmation',
        ),
      );
  }

  /**
   * "Send the link again" for a logged-in, unconfirmed account. False when the
   * address has had its mails for the day (the person is told to wait).
   */
  async resend(account: Account): Promise<boolean> {
    if (!(await this.#allowed(account.email))) return false;
    await this.#send(account);
    return true;
  }

  /**
   * Confirms the address of the account `accountId` (the session showing the
   * code) if the code was issued to that account. A code shown by another
   * account, or by nobody, is left unspent: the mailbox's owner may have
   * clicked the mail a stranger's sign-up caused, and must not confirm the
   * stranger's account by it (nor lose their own claim).
   */
  async confirm(code: string, accountId: number | undefined): Promise<ConfirmOutcome> {
    const { accounts, codes, logger } = this.#options;
    const shown = await codes.peek(code);
    if (!shown) return { kind: 'unknown' };
    if (shown.accountId !== accountId) return { kind: 'not-yours' };
    const pending = await codes.take(code);
    if (pending?.accountId !== accountId) return { kind: 'unknown' };
    const confirmed = await accounts.confirmEmail(pending.accountId, pending.email);
    logger.info({ accountId, confirmed }, 'address confirmation used');
    if (!confirmed) return { kind: 'taken' };
    await codes.forgetAccount(accountId);
    const account = await accounts.findById(accountId);
    return account ? { kind: 'confirmed', account } : { kind: 'unknown' };
  }

  /** The account a code was issued to, if the code is known and not expired. */
  async issuedTo(code: string): Promise<number | undefined> {
    return (await this.#options.codes.peek(code))?.accountId;
  }

  async #allowed(email: string): Promise<boolean> {
    try {
      await this.#mailsPerAddress.consume(email.trim().toLowerCase());
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return false;
    }
  }

  async #send(account: Account): Promise<void> {
    const { accounts, codes, publicUrl, mail, logger } = this.#options;
    if (!mail) return;
    const holder = await accounts.findByEmail(account.email);
    const taken = holder !== undefined && holder.id !== account.id && holder.emailVerifiedAt;
    // The mailbox's owner reads this; the one who signed up does not. A confirmed
    // holder keeps the address (it was proved before); the owner is told how to
    // log in. Nothing the sign-up typed (its name) goes in: a stranger's text
    // must not reach the owner under our name.
    const lines = taken
      ? [
          `Someone signed up for Voxreply as ${account.email}.`,
          'This address already belongs to your confirmed Voxreply account, so nothing changes.',
          '',
          `If it was you, log in instead: ${publicUrl}/app`,
          'If it was not you, you can ignore this email.',
        ]
      : [
          `Someone signed up for Voxreply as ${account.email}.`,
          'If it was you, open this link in the browser you signed up in (or log in there',
          'as that account) to confirm that this address is yours:',
          '',
          `${publicUrl}/app#confirm=${await codes.create(account.id, account.email)}`,
          '',
          'Confirming also takes the address from any other account that used it without confirming.',
          'If it was not you, ignore this email: it confirms nothing unless the account that',
          'signed up opens it, and nothing of your mail is shown to anyone.',
        ];
    const message = await composeMessage({
      from: mail.from,
      to: account.email,
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

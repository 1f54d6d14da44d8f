// Forgotten passwords: a reset link mailed to the address's account, through
// the product's own spool and smarthost. Asking never tells whether the
// address has an account: the answer is given before (and whatever) the
// lookup and the mail do, so it is the same in body, status and timing. Using
// the link sets a new password and ends every session of the account (ADR 025).
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { composeMessage, envelopeAddress } from '../mail/compose.js';
import type { DeliveryQueue } from '../mail/delivery-queue.js';
import type { AccountStore } from '../store/account-store.js';
import type { PasswordResetStore } from '../store/password-reset-store.js';
import type { AppPasswordStore } from '../store/app-password-store.js';
import type { SessionStore } from '../store/session-store.js';
import { hashPassword } from './password.js';
import { passwordWeakness } from './password-strength.js';

/** Reset mails one address may receive an hour (a third party's inbox: not scaled). */
export const RESET_MAILS_PER_HOUR = 3;
export const RESET_SUBJECT = 'Reset your Voxreply password';

export interface PasswordResetsOptions {
  accounts: AccountStore;
  sessions: SessionStore;
  /** A reset is how a taken account is recovered: its app passwords (mail relay log-ins) go too. */
  appPasswords: Pick<AppPasswordStore, 'revokeAll'>;
  tokens: PasswordResetStore;
  publicUrl: string;
  /** The mail spool and MAIL_FROM; without them no link can be mailed. */
  mail: { queue: Pick<DeliveryQueue, 'addGenerated'>; from: string } | undefined;
  logger: Logger;
}

export class PasswordResets {
  readonly #options: PasswordResetsOptions;
  readonly #mailsPerAddress = new RateLimiterMemory({
    points: RESET_MAILS_PER_HOUR,
    duration: 3600,
  });

  constructor(options: PasswordResetsOptions) {
    this.#options = options;
  }

  /**
   * Mails a reset link if the address has an account. Not awaited by the
   * route: its answer must not wait on the lookup, the token or the mail, so
   * it is the same for every address. Failures are logged.
   */
  request(email: string): void {
    this.#request(email).catch((error: unknown) =>
      this.#options.logger.error({ err: error }, 'could not queue a password reset'),
    );
  }

  /**
   * Sets the password of the account the token was issued to and ends every
   * one of its sessions; the ended session ids (to close their sockets).
   * The token is checked first and spent only with a password that passes.
   */
  async reset(
    token: string,
    password: string,
    hash: (password: string) => Promise<string> = hashPassword,
  ): Promise<{ accountId: number; endedSessions: string[] }> {
    const { accounts, sessions, tokens, logger } = this.#options;
    const accountId = await tokens.peek(token);
    const account = accountId === undefined ? undefined : await accounts.findById(accountId);
    if (!account) throw invalidToken();
    const weakness = passwordWeakness(password, [
      account.email,
      ...account.displayName.split(/\s+/),
    ]);
    if (weakness) throw new RequestError(ErrorCode.WeakPassword, weakness);
    const passwordHash = await hash(password);
    // Spent here, after the slow hash: of two uses at once only one gets past.
    if ((await tokens.take(token)) !== account.id) throw invalidToken();
    await accounts.setPassword(account.id, passwordHash);
    await tokens.forgetAccount(account.id);
    const endedSessions = await sessions.deleteAll(account.id);
    const appPasswordsRevoked = await this.#options.appPasswords.revokeAll(account.id);
    logger.info(
      { accountId: account.id, sessionsEnded: endedSessions.length, appPasswordsRevoked },
      'password reset used',
    );
    return { accountId: account.id, endedSessions };
  }

  async #request(email: string): Promise<void> {
    const { accounts, tokens, publicUrl, mail, logger } = this.#options;
    if (!mail) {
      logger.warn('password reset asked, but no mail transport is configured (MAIL_SMARTHOST)');
      return;
    }
    // Every address asked for spends a point, known or not: the same work either way.
    const allowed = await this.#allowed(email);
    const account = await accounts.findByEmail(email);
    if (!account) return;
    if (!allowed) {
      logger.info(
        { accountId: account.id },
        'password reset not mailed: hourly limit for the address',
      );
      return;
    }
    const token = await tokens.create(account.id);
    // In the fragment, as confirmation codes are: never sent to a server, so
    // never in a request log, a proxy's log or a Referer.
    const message = await composeMessage({
      from: mail.from,
      to: account.email,
      subject: RESET_SUBJECT,
      headers: { 'Auto-Submitted': 'auto-generated' },
      text: [
        'Someone asked to reset the password of your Voxreply account.',
        'If it was you, open this link within an hour to choose a new password',
        '(it works once, and logs out every device logged in to the account):',
        '',
        `${publicUrl}/app#reset=${token}`,
        '',
        'If it was not you, ignore this email: your password stays as it is.',
      ].join('\n'),
    });
    await mail.queue.addGenerated(
      { from: envelopeAddress(mail.from), to: [account.email] },
      message,
    );
    logger.info({ accountId: account.id }, 'password reset queued');
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
}

function invalidToken(): RequestError {
  return new RequestError(
    ErrorCode.InvalidToken,
    'This reset link is unknown, already used or expired. Ask for a new one with “Forgot password?”.',
  );
}

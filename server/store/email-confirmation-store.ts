// Codes mailed to an address to prove the account's holder reads its mail.
// Only the code's SHA-256 is stored (it carries 256 random bits); a code is
// taken once and lapses after CONFIRMATION_LIFETIME_MS.
import type { Kysely } from 'kysely';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Database } from './schema.js';

export const CONFIRMATION_LIFETIME_MS = 48 * 3600 * 1000;

export interface PendingConfirmation {
  accountId: number;
  email: string;
}

export class EmailConfirmationStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** A new code for this account and address; returns the code to mail. */
  async create(accountId: number, email: string, now = new Date()): Promise<string> {
    const code = randomToken(32);
    await this.#db
      .insertInto('email_confirmations')
      .values({
        code_hash: hashToken(code),
        account_id: accountId,
        email: email.trim().toLowerCase(),
        expires_at: new Date(now.getTime() + CONFIRMATION_LIFETIME_MS).toISOString(),
      })
      .execute();
    return code;
  }

  /**
   * What a code confirms, if it is known and not expired, leaving it in place:
   * a code shown by someone other than the account it was issued to is not
   * spent (the right account can still use it).
   */
  async peek(code: string, now = new Date()): Promise<PendingConfirmation | undefined> {
    const row = await this.#db
      .selectFrom('email_confirmations')
      .select(['account_id', 'email', 'expires_at'])
      .where('code_hash', '=', hashToken(code))
      .executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString()) return undefined;
    return { accountId: row.account_id, email: row.email };
  }

  /** Removes the code and says what it confirms, if it is known and not expired. */
  async take(code: string, now = new Date()): Promise<PendingConfirmation | undefined> {
    const hash = hashToken(code);
    const row = await this.#db
      .deleteFrom('email_confirmations')
      .where('code_hash', '=', hash)
      .returning(['account_id', 'email', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString()) return undefined;
    return { accountId: row.account_id, email: row.email };
  }

  /** Codes of an account, dropped once its address is confirmed (or lost). */
  async forgetAccount(accountId: number): Promise<void> {
    await this.#db.deleteFrom('email_confirmations').where('account_id', '=', accountId).execute();
  }
}

// Password reset links: a token mailed to the account's address. Only the
// token's SHA-256 is kept (it carries 256 random bits); a token is taken once
// and lapses after RESET_LIFETIME_MS. The clock is a parameter so expiry is
// tested without waiting.
import type { Kysely } from 'kysely';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Database } from './schema.js';

export const RESET_LIFETIME_MS = 3600 * 1000;

export class PasswordResetStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** A new token for the account; returns the token to mail. */
  async create(accountId: number, now = new Date()): Promise<string> {
    const token = randomToken(32);
    await this.#db
      .insertInto('password_resets')
      .values({
        token_hash: hashToken(token),
        account_id: accountId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + RESET_LIFETIME_MS).toISOString(),
      })
      .execute();
    return token;
  }

  /** The account a token resets, if it is known and not expired; the token stays. */
  async peek(token: string, now = new Date()): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('password_resets')
      .select(['account_id', 'expires_at'])
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString()) return undefined;
    return row.account_id;
  }

  /**
   * Spends the token: removes it and says which account it resets, if it was
   * known and not expired. Of two uses at once only one gets the account.
   */
  async take(token: string, now = new Date()): Promise<number | undefined> {
    const row = await this.#db
      .deleteFrom('password_resets')
      .where('token_hash', '=', hashToken(token))
      .returning(['account_id', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString()) return undefined;
    return row.account_id;
  }

  /** Every token of the account (its password changed, or it was deleted). */
  async forgetAccount(accountId: number): Promise<void> {
    await this.#db.deleteFrom('password_resets').where('account_id', '=', accountId).execute();
  }
}

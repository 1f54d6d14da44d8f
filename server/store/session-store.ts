// Login sessions: the cookie holds a random token, the store only its hash.
import type { Kysely } from 'kysely';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Database } from './schema.js';

export const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export class SessionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Returns the token to put in the cookie. */
  async create(accountId: number, now = new Date()): Promise<string> {
    const token = randomToken(32);
    await this.#db
      .insertInto('sessions')
      .values({
        token_hash: hashToken(token),
        account_id: accountId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString(),
      })
      .execute();
    return token;
  }

  async accountFor(token: string, now = new Date()): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .select('account_id')
      .where('token_hash', '=', hashToken(token))
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return row?.account_id;
  }

  async delete(token: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
  }
}

// App passwords: what a mail program uses to submit mail through the relay, so
// the sender's own password never sits in a mail client's settings.
import type { Kysely } from 'kysely';
import { hashToken } from '../security/tokens.js';
import type { Database } from './schema.js';

export interface AppPassword {
  id: number;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export class AppPasswordStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores the password's hash; the password itself is shown to the sender once. */
  async create(
    accountId: number,
    label: string,
    password: string,
    now = new Date(),
  ): Promise<AppPassword> {
    const row = await this.#db
      .insertInto('app_passwords')
      .values({
        account_id: accountId,
        label,
        password_hash: hashToken(password),
        created_at: now.toISOString(),
      })
      .returning(['id', 'label', 'created_at', 'last_used_at'])
      .executeTakeFirstOrThrow();
    return toAppPassword(row);
  }

  /** The account an app password belongs to (and notes its use), or undefined. */
  async accountFor(password: string, now = new Date()): Promise<number | undefined> {
    const row = await this.#db
      .updateTable('app_passwords')
      .set({ last_used_at: now.toISOString() })
      .where('password_hash', '=', hashToken(password))
      .returning('account_id')
      .executeTakeFirst();
    return row?.account_id;
  }

  async list(accountId: number): Promise<AppPassword[]> {
    const rows = await this.#db
      .selectFrom('app_passwords')
      .select(['id', 'label', 'created_at', 'last_used_at'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    return rows.map(toAppPassword);
  }

  /** Deletes every app password of the account (its password was reset); how many. */
  async revokeAll(accountId: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('app_passwords')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes one of the account's app passwords; false when it has no such one. */
  async revoke(accountId: number, id: number): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('app_passwords')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toAppPassword(row: {
  id: number;
  label: string;
  created_at: string;
  last_used_at: string | null;
}): AppPassword {
  return {
    id: row.id,
    label: row.label,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
  };
}

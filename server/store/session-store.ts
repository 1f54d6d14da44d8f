// Login sessions: the cookie holds a random token, the store only its hash.
// The hash doubles as the session's id in the desk's sessions list (it names
// the session without being able to open it) and in its sockets' channel.
import type { Kysely } from 'kysely';
import { hashToken, randomToken } from '../security/tokens.js';
import type { Database } from './schema.js';

export const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000;
/** How stale `last_seen_at` may get before a use writes it again (a write per request is too many). */
export const LAST_SEEN_STEP_MS = 5 * 60 * 1000;
const MAX_USER_AGENT_LENGTH = 300;

/** Where a session was opened: shown to its owner in the sessions list. */
export interface SessionOrigin {
  userAgent?: string | undefined;
  clientAddress?: string | undefined;
}

export interface SessionInfo {
  /** The token's hash: names the session, cannot open it. */
  id: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  userAgent: string | null;
  clientAddress: string | null;
}

export class SessionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Returns the token to put in the cookie. */
  async create(accountId: number, now = new Date(), origin: SessionOrigin = {}): Promise<string> {
    const token = randomToken(32);
    await this.#db
      .insertInto('sessions')
      .values({
        token_hash: hashToken(token),
        account_id: accountId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString(),
        last_seen_at: now.toISOString(),
        user_agent: origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        client_address: origin.clientAddress ?? null,
      })
      .execute();
    return token;
  }

  /** The session's account; a use notes when it was last seen (every LAST_SEEN_STEP_MS at most). */
  async accountFor(token: string, now = new Date()): Promise<number | undefined> {
    const id = hashToken(token);
    const row = await this.#db
      .selectFrom('sessions')
      .select(['account_id', 'last_seen_at'])
      .where('token_hash', '=', id)
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirst();
    if (!row) return undefined;
    const seen = row.last_seen_at ? Date.parse(row.last_seen_at) : 0;
    if (now.getTime() - seen >= LAST_SEEN_STEP_MS) {
      await this.#db
        .updateTable('sessions')
        .set({ last_seen_at: now.toISOString() })
        .where('token_hash', '=', id)
        .execute();
    }
    return row.account_id;
  }

  async delete(token: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
  }

  /** The id a session's token has in `list` and in its sockets' channel. */
  static idOf(token: string): string {
    return hashToken(token);
  }

  /** An account's live sessions, most recently used first. */
  async list(accountId: number, now = new Date()): Promise<SessionInfo[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .select(['token_hash', 'created_at', 'last_seen_at', 'user_agent', 'client_address'])
      .where('account_id', '=', accountId)
      .where('expires_at', '>', now.toISOString())
      .execute();
    return rows
      .map((row) => ({
        id: row.token_hash,
        createdAt: new Date(row.created_at),
        lastSeenAt: row.last_seen_at ? new Date(row.last_seen_at) : null,
        userAgent: row.user_agent,
        clientAddress: row.client_address,
      }))
      .sort(
        (a, b) => (b.lastSeenAt ?? b.createdAt).getTime() - (a.lastSeenAt ?? a.createdAt).getTime(),
      );
  }

  /** Ends one of the account's sessions by its id; false when it has none such. */
  async deleteById(accountId: number, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('sessions')
      .where('account_id', '=', accountId)
      .where('token_hash', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Ends every session of the account but `keepId`; the ids it ended (to close their sockets). */
  async deleteAll(accountId: number, keepId?: string): Promise<string[]> {
    let query = this.#db.deleteFrom('sessions').where('account_id', '=', accountId);
    if (keepId !== undefined) query = query.where('token_hash', '!=', keepId);
    const rows = await query.returning('token_hash').execute();
    return rows.map((row) => row.token_hash);
  }
}

// Sender accounts. Emails are stored lower-cased. An address is unique among
// accounts that confirmed it (a code mailed there); until then several
// accounts may name it, so that a sign-up never reveals a taken address and the
// mailbox's owner can claim it from whoever signed up first. Only one of them
// is ever the address's account (`findByEmail`, ADR 006).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AccountSettings, MyReply, UpdateSettingsBody } from '../../protocol/accounts.js';
import type { AccountTable, Database } from './schema.js';

export interface Account {
  id: number;
  email: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
  /** When the address was confirmed (a code mailed to it came back), or null. */
  emailVerifiedAt: Date | null;
  settings: AccountSettings;
}

export interface NewAccount {
  email: string;
  displayName: string;
  passwordHash: string;
}

/** The email address already belongs to an account. */
export class EmailTakenError extends Error {
  constructor(email: string) {
    super(`an account with ${email} already exists`);
    this.name = 'EmailTakenError';
  }
}

export class AccountStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(account: NewAccount, now = new Date()): Promise<Account> {
    const email = normaliseEmail(account.email);
    // Inside one transaction so two racing sign-ups cannot both pass the check;
    // the unique index is the final word either way.
    return this.#db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('accounts')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirst();
      if (existing) throw new EmailTakenError(email);
      const row = await trx
        .insertInto('accounts')
        .values({
          email,
          display_name: account.displayName,
          password_hash: account.passwordHash,
          created_at: now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? new EmailTakenError(email) : error;
        });
      return toAccount(row);
    });
  }

  /**
   * A sign-up: unlike `create`, an address other accounts name is no obstacle
   * (only confirming it is exclusive, see `confirmEmail`).
   */
  async register(account: NewAccount, now = new Date()): Promise<Account> {
    const row = await this.#db
      .insertInto('accounts')
      .values({
        email: normaliseEmail(account.email),
        display_name: account.displayName,
        password_hash: account.passwordHash,
        created_at: now.toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAccount(row);
  }

  /**
   * The one account an address logs in to and speaks for (relay AUTH, HTTP
   * log-in, calls to the sender's phone numbers): the account that confirmed
   * it, else the oldest that named it (first come, until someone proves the
   * mailbox). Exactly one, never "try each": a stranger's later sign-up with
   * the address must not open a way to log in, and relay, as the address with
   * a password of their own choosing (ADR 006).
   */
  async findByEmail(email: string): Promise<Account | undefined> {
    const row = await this.#db
      .selectFrom('accounts')
      .selectAll()
      .where('email', '=', normaliseEmail(email))
      .where('deleted_at', 'is', null)
      // NULLs last on both engines: confirmed rows sort by a 0 key.
      .orderBy(sql`case when email_verified_at is null then 1 else 0 end`)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  /**
   * Marks `email` confirmed for this account if it still names it and no other
   * account confirmed it. Other accounts naming the address lose it (renamed to
   * an address under .invalid, RFC 2606): whoever proved the mailbox owns it.
   */
  async confirmEmail(id: number, email: string, now = new Date()): Promise<boolean> {
    const address = normaliseEmail(email);
    return this.#db.transaction().execute(async (trx) => {
      const holder = await trx
        .selectFrom('accounts')
        .select('id')
        .where('email', '=', address)
        .where('email_verified_at', 'is not', null)
        .executeTakeFirst();
      if (holder && holder.id !== id) return false;
      const mine = await trx
        .updateTable('accounts')
        .set({ email_verified_at: now.toISOString() })
        .where('id', '=', id)
        .where('email', '=', address)
        .executeTakeFirst();
      if (Number(mine.numUpdatedRows) !== 1) return false;
      const others = await trx
        .selectFrom('accounts')
        .select('id')
        .where('email', '=', address)
        .where('id', '!=', id)
        .execute();
      for (const other of others) {
        await trx
          .updateTable('accounts')
          .set({ email: `released-${other.id}@voxreply.invalid` })
          .where('id', '=', other.id)
          .execute();
      }
      return true;
    });
  }

  async updateSettings(id: number, change: UpdateSettingsBody): Promise<Account | undefined> {
    const values = {
      ...(change.doNotDisturb === undefined ? {} : { do_not_disturb: change.doNotDisturb ? 1 : 0 }),
      ...(change.showStatus === undefined ? {} : { show_status: change.showStatus ? 1 : 0 }),
      ...(change.awayAfterMinutes === undefined
        ? {}
        : { away_after_minutes: change.awayAfterMinutes }),
      ...(change.offerVideo === undefined ? {} : { offer_video: change.offerVideo ? 1 : 0 }),
      ...(change.notifyMissedCalls === undefined
        ? {}
        : { notify_missed_calls: change.notifyMissedCalls ? 1 : 0 }),
      ...(change.chatEnabled === undefined ? {} : { chat_enabled: change.chatEnabled ? 1 : 0 }),
      ...(change.chatEmails === undefined ? {} : { chat_emails: change.chatEmails ? 1 : 0 }),
      ...(change.ringPlan === undefined
        ? {}
        : {
            ring_first_seconds: change.ringPlan.firstStageSeconds,
            ring_total_seconds: change.ringPlan.totalSeconds,
          }),
    };
    if (Object.keys(values).length > 0) {
      await this.#db.updateTable('accounts').set(values).where('id', '=', id).execute();
    }
    return this.findById(id);
  }

  /**
   * Calls made through personal links sent to `email`, newest first, with
   * the sender each went to.
   */
  /**
   * Calls made through links sent to `email`, and calls joined through them
   * (group replies, outcome "joined"), newest first.
   */
  async repliesTo(email: string, limit = 100): Promise<MyReply[]> {
    const address = normaliseEmail(email);
    const made = await this.#db
      .selectFrom('calls')
      .innerJoin('links', 'links.id', 'calls.link_id')
      .innerJoin('accounts', 'accounts.id', 'links.account_id')
      .select([
        'calls.id as callId',
        'accounts.display_name as senderName',
        'calls.subject as subject',
        'calls.started_at as startedAt',
        'calls.outcome as outcome',
      ])
      .where('links.recipient_email', '=', address)
      .orderBy('calls.started_at', 'desc')
      .limit(limit)
      .execute();
    const joined = await this.#db
      .selectFrom('call_guests')
      .innerJoin('calls', 'calls.id', 'call_guests.call_id')
      .innerJoin('links', 'links.id', 'call_guests.link_id')
      .innerJoin('accounts', 'accounts.id', 'links.account_id')
      .select([
        'calls.id as callId',
        'accounts.display_name as senderName',
        'calls.subject as subject',
        'call_guests.joined_at as startedAt',
      ])
      .where('links.recipient_email', '=', address)
      .orderBy('call_guests.joined_at', 'desc')
      .limit(limit)
      .execute();
    // Left and joined again: one entry per call (the latest join, read first).
    const joins = [...new Map(joined.reverse().map((row) => [row.callId, row])).values()];
    return [...made, ...joins.map((row) => ({ ...row, outcome: 'joined' }))]
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, limit);
  }

  /** A new password (its scrypt hash); false when the account is gone. */
  async setPassword(id: number, passwordHash: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('accounts')
      .set({ password_hash: passwordHash })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async findById(id: number): Promise<Account | undefined> {
    const row = await this.#db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toAccount(row);
  }
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // PostgreSQL unique_violation; better-sqlite3's constraint code.
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function toAccount(row: Selectable<AccountTable>): Account {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
    emailVerifiedAt: row.email_verified_at ? new Date(row.email_verified_at) : null,
    settings: {
      doNotDisturb: row.do_not_disturb === 1,
      showStatus: row.show_status === 1,
      ringPlan: { firstStageSeconds: row.ring_first_seconds, totalSeconds: row.ring_total_seconds },
      awayAfterMinutes: row.away_after_minutes,
      offerVideo: row.offer_video === 1,
      notifyMissedCalls: row.notify_missed_calls === 1,
      chatEnabled: row.chat_enabled === 1,
      chatEmails: row.chat_emails === 1,
    },
  };
}

// "Call me back when they're free" requests (migration 016). Bounded: one
// open request per link (asking again replaces it) and at most
// MAX_OPEN_PER_SENDER per sender (the oldest goes); each lapses at its
// `expires_at` (the link's end, or REQUEST_LIFETIME_MS) and is gone once the
// sender calls back or dismisses it. Lapsed rows are dropped whenever the
// sender gets a new request, and never listed meanwhile.
import type { Kysely, Selectable } from 'kysely';
import type { CallbackRequestTable, Database } from './schema.js';

/** A request waits this long at most (less when its link ends sooner). */
export const REQUEST_LIFETIME_MS = 3 * 24 * 3600 * 1000;
/** Open requests one sender can have; a new one past this replaces the oldest. */
export const MAX_OPEN_PER_SENDER = 50;

export interface CallbackRequest {
  id: number;
  accountId: number;
  linkId: number;
  callerName: string;
  /** The subject of the email the link came in. */
  subject: string | null;
  tokenSealed: string | null;
  createdAt: Date;
  expiresAt: Date;
  notifiedAt: Date | null;
  emailedAt: Date | null;
}

export interface NewCallbackRequest {
  accountId: number;
  linkId: number;
  callerName: string;
  /** The link's token sealed with the server key (for the "free now" email). */
  tokenSealed?: string;
  /** When the link stops working, if it does. */
  linkExpiresAt: Date | null;
}

export class CallbackRequestStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Records a request for the link, replacing the link's earlier one. */
  async add(request: NewCallbackRequest, now = new Date()): Promise<CallbackRequest> {
    const lifetimeEnd = new Date(now.getTime() + REQUEST_LIFETIME_MS);
    const expiresAt =
      request.linkExpiresAt && request.linkExpiresAt < lifetimeEnd
        ? request.linkExpiresAt
        : lifetimeEnd;
    return this.#db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('callback_requests')
        .where((eb) =>
          eb.or([
            eb('link_id', '=', request.linkId),
            eb.and([
              eb('account_id', '=', request.accountId),
              eb('expires_at', '<=', now.toISOString()),
            ]),
          ]),
        )
        .execute();
      const open = await trx
        .selectFrom('callback_requests')
        .select('id')
        .where('account_id', '=', request.accountId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(MAX_OPEN_PER_SENDER - 1)
        .limit(1000)
        .execute();
      if (open.length > 0) {
        await trx
          .deleteFrom('callback_requests')
          .where(
            'id',
            'in',
            open.map((row) => row.id),
          )
          .execute();
      }
      const values = {
        account_id: request.accountId,
        link_id: request.linkId,
        caller_name: request.callerName,
        token_sealed: request.tokenSealed ?? null,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
      };
      const row = await trx
        .insertInto('callback_requests')
        .values(values)
        // Two requests for one link at once: the later one stands, as asking again does.
        .onConflict((conflict) =>
          conflict.column('link_id').doUpdateSet({
            ...values,
            notified_at: null,
            emailed_at: null,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRequest({ ...row, subject: null });
    });
  }

  /** The sender's open requests, newest first. */
  async list(accountId: number, now = new Date()): Promise<CallbackRequest[]> {
    const rows = await this.#withSubject()
      .where('callback_requests.account_id', '=', accountId)
      .where('callback_requests.expires_at', '>', now.toISOString())
      .orderBy('callback_requests.created_at', 'desc')
      .orderBy('callback_requests.id', 'desc')
      .limit(MAX_OPEN_PER_SENDER)
      .execute();
    return rows.map(toRequest);
  }

  /** One of the sender's open requests. */
  async find(
    accountId: number,
    id: number,
    now = new Date(),
  ): Promise<CallbackRequest | undefined> {
    const row = await this.#withSubject()
      .where('callback_requests.account_id', '=', accountId)
      .where('callback_requests.id', '=', id)
      .where('callback_requests.expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return row && toRequest(row);
  }

  /** The link's open request, if it has one. */
  async forLink(linkId: number, now = new Date()): Promise<CallbackRequest | undefined> {
    const row = await this.#withSubject()
      .where('callback_requests.link_id', '=', linkId)
      .where('callback_requests.expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return row && toRequest(row);
  }

  /**
   * The sender's open requests not yet told "free now", marked told: each is
   * claimed by exactly one caller, whichever node computes the change first.
   */
  async claimWaiting(accountId: number, now = new Date()): Promise<CallbackRequest[]> {
    const rows = await this.#db
      .updateTable('callback_requests')
      .set({ notified_at: now.toISOString() })
      .where('account_id', '=', accountId)
      .where('notified_at', 'is', null)
      .where('expires_at', '>', now.toISOString())
      .returningAll()
      .execute();
    return rows.map((row) => toRequest({ ...row, subject: null }));
  }

  /** Marks the request mailed; false when it was already (mail it at most once). */
  async claimEmail(id: number, now = new Date()): Promise<boolean> {
    const result = await this.#db
      .updateTable('callback_requests')
      .set({ emailed_at: now.toISOString() })
      .where('id', '=', id)
      .where('emailed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Requests with their link's subject. */
  #withSubject() {
    return this.#db
      .selectFrom('callback_requests')
      .innerJoin('links', 'links.id', 'callback_requests.link_id')
      .selectAll('callback_requests')
      .select('links.subject');
  }

  /** The request is done (called back, or dismissed); false when it was not open. */
  async remove(accountId: number, id: number): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('callback_requests')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRequest(
  row: Selectable<CallbackRequestTable> & { subject: string | null },
): CallbackRequest {
  return {
    id: row.id,
    accountId: row.account_id,
    linkId: row.link_id,
    callerName: row.caller_name,
    subject: row.subject,
    tokenSealed: row.token_sealed,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    notifiedAt: row.notified_at ? new Date(row.notified_at) : null,
    emailedAt: row.emailed_at ? new Date(row.emailed_at) : null,
  };
}

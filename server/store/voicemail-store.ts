// Voice messages' facts (the recordings are files, see VoicemailFiles).
import type { Kysely, Selectable } from 'kysely';
import type { Database, VoicemailTable } from './schema.js';

export interface Voicemail {
  id: string;
  accountId: number;
  linkId: number;
  callId: string | null;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  durationMs: number;
  bytes: number;
  createdAt: Date;
  heardAt: Date | null;
}

export type NewVoicemail = Omit<Voicemail, 'createdAt' | 'heardAt'> & { uploadKey: string };

export class VoicemailStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores one; false when this link already has a message with this upload key. */
  async create(message: NewVoicemail, now = new Date()): Promise<boolean> {
    const result = await this.#db
      .insertInto('voicemails')
      .values({
        id: message.id,
        account_id: message.accountId,
        link_id: message.linkId,
        call_id: message.callId,
        caller_name: message.callerName,
        caller_email: message.callerEmail,
        subject: message.subject,
        duration_ms: message.durationMs,
        bytes: message.bytes,
        upload_key: message.uploadKey,
        created_at: now.toISOString(),
      })
      .onConflict((conflict) => conflict.columns(['link_id', 'upload_key']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async findByUploadKey(linkId: number, uploadKey: string): Promise<Voicemail | undefined> {
    const row = await this.#db
      .selectFrom('voicemails')
      .selectAll()
      .where('link_id', '=', linkId)
      .where('upload_key', '=', uploadKey)
      .executeTakeFirst();
    return row && toVoicemail(row);
  }

  async find(accountId: number, id: string): Promise<Voicemail | undefined> {
    const row = await this.#db
      .selectFrom('voicemails')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toVoicemail(row);
  }

  async count(accountId: number): Promise<number> {
    const row = await this.#db
      .selectFrom('voicemails')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    // PostgreSQL's count is a bigint, which its driver hands over as a string.
    return Number(row.count);
  }

  async countUnheard(linkId: number): Promise<number> {
    const row = await this.#db
      .selectFrom('voicemails')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('link_id', '=', linkId)
      .where('heard_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Newest first. */
  async list(accountId: number, limit = 200): Promise<Voicemail[]> {
    const rows = await this.#db
      .selectFrom('voicemails')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toVoicemail);
  }

  async markHeard(
    accountId: number,
    id: string,
    heard: boolean,
    now = new Date(),
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('voicemails')
      .set({ heard_at: heard ? now.toISOString() : null })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async delete(accountId: number, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('voicemails')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toVoicemail(row: Selectable<VoicemailTable>): Voicemail {
  return {
    id: row.id,
    accountId: row.account_id,
    linkId: row.link_id,
    callId: row.call_id,
    callerName: row.caller_name,
    callerEmail: row.caller_email,
    subject: row.subject,
    durationMs: row.duration_ms,
    bytes: row.bytes,
    createdAt: new Date(row.created_at),
    heardAt: row.heard_at ? new Date(row.heard_at) : null,
  };
}

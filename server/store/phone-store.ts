// A sender's forwarding phone numbers, kept in the order they are tried.
import type { Kysely } from 'kysely';
import type { PhoneNumber } from '../../protocol/phones.js';
import type { Database } from './schema.js';

export class PhoneStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The numbers in forwarding order. */
  async list(accountId: number): Promise<PhoneNumber[]> {
    const rows = await this.#db
      .selectFrom('phone_numbers')
      .select(['number', 'label', 'ask_to_press_1'])
      .where('account_id', '=', accountId)
      .orderBy('position')
      .execute();
    return rows.map((row) => ({
      number: row.number,
      label: row.label,
      askToPress1: row.ask_to_press_1 !== 0,
    }));
  }

  /**
   * Swaps the whole list at once: the desk app edits it as one ordered list,
   * and a reader must never see half of an old order and half of a new one.
   * The caller has validated the list (protocol/phones.ts): a repeated number
   * breaks the unique constraint and rolls everything back.
   */
  async replace(accountId: number, phones: PhoneNumber[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Two saves at once (a double-clicked Save) must take turns: on
      // PostgreSQL the second delete does not see the first's new rows, and
      // its insert would collide with them. Writing the account row locks it
      // until commit (SQLite runs one writer at a time anyway).
      await trx
        .updateTable('accounts')
        .set((eb) => ({ display_name: eb.ref('display_name') }))
        .where('id', '=', accountId)
        .execute();
      await trx.deleteFrom('phone_numbers').where('account_id', '=', accountId).execute();
      if (phones.length === 0) return;
      await trx
        .insertInto('phone_numbers')
        .values(
          phones.map((phone, position) => ({
            account_id: accountId,
            position,
            number: phone.number,
            label: phone.label,
            ask_to_press_1: phone.askToPress1 ? 1 : 0,
          })),
        )
        .execute();
    });
  }
}

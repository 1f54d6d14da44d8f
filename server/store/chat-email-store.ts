// Chat bursts waiting to be emailed (server/mail/chat-emails.ts says what a
// burst is). One row per link and addressee; nothing is kept in memory, so a
// restart picks up what was pending, and several nodes share the rows: a node
// works on a burst only after claiming it with a compare-and-set, and an email
// is queued only by the node whose claim still holds when it closes the burst.
import type { Kysely, Selectable } from 'kysely';
import type { ChatSide } from '../../protocol/chat.js';
import type { ChatEmailBurstTable, Database } from './schema.js';

export interface ChatBurst {
  linkId: number;
  /** Whom the messages are for. */
  addressee: ChatSide;
  firstMessageId: number;
  lastMessageId: number;
  dueAt: Date;
}

export class ChatEmailStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * A new message to `addressee`: starts their burst, or extends it (the quiet
   * period starts again). A message older than the burst's newest changes nothing.
   */
  async noteMessage(
    linkId: number,
    addressee: ChatSide,
    messageId: number,
    dueAt: Date,
  ): Promise<void> {
    await this.#db
      .insertInto('chat_email_bursts')
      .values({
        link_id: linkId,
        addressee,
        first_message_id: messageId,
        last_message_id: messageId,
        due_at: dueAt.toISOString(),
      })
      .onConflict((conflict) =>
        conflict
          .columns(['link_id', 'addressee'])
          .doUpdateSet((eb) => ({
            last_message_id: eb.ref('excluded.last_message_id'),
            due_at: eb.ref('excluded.due_at'),
          }))
          .where('chat_email_bursts.last_message_id', '<', messageId),
      )
      .execute();
  }

  /** `addressee` read up to a message: a burst read to its end is over; else it starts later. */
  async noteRead(linkId: number, addressee: ChatSide, upToId: number): Promise<void> {
    await this.#db
      .deleteFrom('chat_email_bursts')
      .where('link_id', '=', linkId)
      .where('addressee', '=', addressee)
      .where('last_message_id', '<=', upToId)
      .execute();
    await this.#db
      .updateTable('chat_email_bursts')
      .set({ first_message_id: upToId + 1 })
      .where('link_id', '=', linkId)
      .where('addressee', '=', addressee)
      .where('first_message_id', '<=', upToId)
      .execute();
  }

  /** Bursts quiet since `now` and claimed by nobody (or by a claim that ran out), oldest first. */
  async due(now: Date, limit: number): Promise<ChatBurst[]> {
    const at = now.toISOString();
    const rows = await this.#db
      .selectFrom('chat_email_bursts')
      .selectAll()
      .where('due_at', '<=', at)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', at)]))
      .orderBy('due_at')
      .limit(limit)
      .execute();
    return rows.map(toBurst);
  }

  /**
   * Takes the burst for this node until `until`, if it is still as read and
   * nobody holds it: true when this claim won.
   */
  async claim(burst: ChatBurst, claim: string, now: Date, until: Date): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.#db
      .updateTable('chat_email_bursts')
      .set({ claim, claimed_until: until.toISOString() })
      .where('link_id', '=', burst.linkId)
      .where('addressee', '=', burst.addressee)
      .where('last_message_id', '=', burst.lastMessageId)
      .where('due_at', '<=', at)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Closes the claimed burst up to `upToId` (the newest message the email
   * carries): gone, or, when newer messages came meanwhile, starting after it
   * and released. False when the claim no longer holds (the addressee read
   * everything, or the claim ran out and another node took it): then this
   * node must not send.
   */
  async close(burst: ChatBurst, claim: string, upToId: number): Promise<boolean> {
    const removed = await this.#db
      .deleteFrom('chat_email_bursts')
      .where('link_id', '=', burst.linkId)
      .where('addressee', '=', burst.addressee)
      .where('claim', '=', claim)
      .where('last_message_id', '<=', upToId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 1) return true;
    const moved = await this.#db
      .updateTable('chat_email_bursts')
      .set({ first_message_id: upToId + 1, claim: null, claimed_until: null })
      .where('link_id', '=', burst.linkId)
      .where('addressee', '=', burst.addressee)
      .where('claim', '=', claim)
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  }

  /** Gives a claim back, the burst due again at `dueAt` (its addressee was there to see it). */
  async postpone(burst: ChatBurst, claim: string, dueAt: Date): Promise<void> {
    await this.#db
      .updateTable('chat_email_bursts')
      .set({ due_at: dueAt.toISOString(), claim: null, claimed_until: null })
      .where('link_id', '=', burst.linkId)
      .where('addressee', '=', burst.addressee)
      .where('claim', '=', claim)
      .execute();
  }
}

function toBurst(row: Selectable<ChatEmailBurstTable>): ChatBurst {
  return {
    linkId: row.link_id,
    addressee: row.addressee as ChatSide,
    firstMessageId: row.first_message_id,
    lastMessageId: row.last_message_id,
    dueAt: new Date(row.due_at),
  };
}

// Chat messages per link.
import type { Kysely, Selectable } from 'kysely';
import type { ChatMessage, ChatSide } from '../../protocol/chat.js';
import type { ChatMessageTable, Database } from './schema.js';

export class ChatStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores a message; with a client key already used on this link, the
   * message stored then (and `created` false).
   */
  async add(
    linkId: number,
    side: ChatSide,
    authorName: string,
    text: string,
    key?: string,
    now = new Date(),
  ): Promise<{ message: ChatMessage; created: boolean }> {
    const row = await this.#db
      .insertInto('chat_messages')
      .values({
        link_id: linkId,
        side,
        author_name: authorName,
        body: text,
        sent_at: now.toISOString(),
        client_key: key ?? null,
      })
      .onConflict((conflict) => conflict.columns(['link_id', 'client_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return { message: toMessage(row), created: true };
    const stored = await this.#db
      .selectFrom('chat_messages')
      .selectAll()
      .where('link_id', '=', linkId)
      .where('client_key', '=', key ?? '')
      .executeTakeFirstOrThrow();
    return { message: toMessage(stored), created: false };
  }

  /** The latest `limit` messages, oldest first. */
  async history(linkId: number, limit = 200): Promise<ChatMessage[]> {
    const rows = await this.#db
      .selectFrom('chat_messages')
      .selectAll()
      .where('link_id', '=', linkId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(toMessage);
  }

  /**
   * Messages `from` one side with ids in [firstId, lastId] not read yet, the
   * newest `limit` of them (oldest first), and how many there are in all.
   */
  async unreadBetween(
    linkId: number,
    from: ChatSide,
    firstId: number,
    lastId: number,
    limit: number,
  ): Promise<{ messages: ChatMessage[]; total: number }> {
    const unread = this.#db
      .selectFrom('chat_messages')
      .where('link_id', '=', linkId)
      .where('side', '=', from)
      .where('id', '>=', firstId)
      .where('id', '<=', lastId)
      .where('read_at', 'is', null);
    const rows = await unread.selectAll().orderBy('id', 'desc').limit(limit).execute();
    const counted = await unread
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    // PostgreSQL's count is a bigint, which its driver hands over as a string.
    return { messages: rows.reverse().map(toMessage), total: Number(counted.count) };
  }

  /** Marks the messages `from` one side, up to an id, as read; how many were new. */
  async markRead(
    linkId: number,
    from: ChatSide,
    upToId: number,
    now = new Date(),
  ): Promise<number> {
    const result = await this.#db
      .updateTable('chat_messages')
      .set({ read_at: now.toISOString() })
      .where('link_id', '=', linkId)
      .where('side', '=', from)
      .where('id', '<=', upToId)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function toMessage(row: Selectable<ChatMessageTable>): ChatMessage {
  return {
    id: row.id,
    linkId: row.link_id,
    from: row.side as ChatSide,
    authorName: row.author_name,
    text: row.body,
    sentAt: row.sent_at,
    readAt: row.read_at,
  };
}

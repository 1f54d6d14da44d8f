// Chat messages per link.
import type { Kysely, Selectable } from 'kysely';
import type { ChatMessage, ChatSide } from '../../protocol/chat.js';
import type { ChatMessageTable, Database } from './schema.js';

export class ChatStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(
    linkId: number,
    side: ChatSide,
    authorName: string,
    text: string,
    now = new Date(),
  ): Promise<ChatMessage> {
    const row = await this.#db
      .insertInto('chat_messages')
      .values({
        link_id: linkId,
        side,
        author_name: authorName,
        body: text,
        sent_at: now.toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMessage(row);
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

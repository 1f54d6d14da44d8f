// Chat between a reply page and the sender, per personal link (issue 6).
import type { Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('chat_messages')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('link_id', 'integer', (col) =>
      col.notNull().references('links.id').onDelete('cascade'),
    )
    // 'caller' (the reply page) or 'sender' (the desk app).
    .addColumn('side', 'text', (col) => col.notNull())
    .addColumn('author_name', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('sent_at', 'text', (col) => col.notNull())
    .addColumn('read_at', 'text')
    .execute();
  await db.schema
    .createIndex('chat_messages_link')
    .on('chat_messages')
    .columns(['link_id', 'id'])
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('chat_enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('chat_enabled').execute();
  await db.schema.dropTable('chat_messages').execute();
}

// A chat message's client key: a send retried after a lost answer stores one message.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('chat_messages').addColumn('client_key', 'text').execute();
  await db.schema
    .createIndex('chat_messages_client_key')
    .on('chat_messages')
    .columns(['link_id', 'client_key'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('chat_messages_client_key').execute();
  await db.schema.alterTable('chat_messages').dropColumn('client_key').execute();
}

// Email (issue 5): app passwords for the SMTP relay, the message a relay-minted
// link came from, and the senders' mail settings.
import type { Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('app_passwords')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('label', 'text', (col) => col.notNull())
    // SHA-256 of a random ~119-bit password: nothing to brute-force, no scrypt cost per message.
    .addColumn('password_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .execute();

  // Links the relay minted for one message share its key (group replies join by it).
  await db.schema.alterTable('links').addColumn('message_key', 'text').execute();
  await db.schema.createIndex('links_message_key').on('links').column('message_key').execute();

  await db.schema
    .alterTable('accounts')
    .addColumn('offer_video', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('notify_missed_calls', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('notify_missed_calls').execute();
  await db.schema.alterTable('accounts').dropColumn('offer_video').execute();
  await db.schema.dropIndex('links_message_key').execute();
  await db.schema.alterTable('links').dropColumn('message_key').execute();
  await db.schema.dropTable('app_passwords').execute();
}

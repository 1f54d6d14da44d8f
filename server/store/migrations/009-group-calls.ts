// Group replies (issue 6): which relayed links were blind copies (a Bcc
// recipient is never shown to the others nor offered their call), and who
// joined each call besides its first caller.
import { sql, type Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('links')
    .addColumn('blind_copy', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  // Links minted before this knew nothing of Bcc: none of them joins a group.
  await sql`update links set blind_copy = 1 where message_key is not null`.execute(db);

  await db.schema
    .createTable('call_guests')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('call_id', 'text', (col) => col.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('link_id', 'integer', (col) => col.references('links.id').onDelete('set null'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('joined_at', 'text', (col) => col.notNull())
    .addColumn('left_at', 'text')
    .execute();
  await db.schema.createIndex('call_guests_call').on('call_guests').column('call_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_guests').execute();
  await db.schema.alterTable('links').dropColumn('blind_copy').execute();
}

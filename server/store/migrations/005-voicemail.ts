// Voice messages left on reply pages (issue 6): the recording is a file under
// DATA_DIR/voicemail; its facts live here.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('voicemails')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('link_id', 'integer', (col) =>
      col.notNull().references('links.id').onDelete('cascade'),
    )
    .addColumn('call_id', 'text')
    .addColumn('caller_name', 'text', (col) => col.notNull())
    .addColumn('caller_email', 'text')
    .addColumn('subject', 'text')
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('bytes', 'integer', (col) => col.notNull())
    // The page's key for one recording: a retried upload finds the stored message.
    .addColumn('upload_key', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('heard_at', 'text')
    .addUniqueConstraint('voicemails_upload_key', ['link_id', 'upload_key'])
    .execute();
  await db.schema
    .createIndex('voicemails_account')
    .on('voicemails')
    .columns(['account_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('voicemails').execute();
}

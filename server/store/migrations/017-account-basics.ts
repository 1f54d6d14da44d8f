// Account basics (issue 20): sessions say where and when they were used (the
// desk lists them and logs one out), forgotten passwords are reset by a link
// mailed to the address (only the token's SHA-256 is kept), and a deleted
// account stays as an anonymous row so the calls it had keep their counts
// and outcomes (ADR 025).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('last_seen_at', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('client_address', 'text').execute();
  await db.schema
    .createIndex('sessions_account')
    .on('sessions')
    .column('account_id')
    .ifNotExists()
    .execute();
  await db.schema.alterTable('accounts').addColumn('deleted_at', 'text').execute();
  await db.schema
    .createTable('password_resets')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('password_resets_account')
    .on('password_resets')
    .column('account_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('password_resets').execute();
  await db.schema.alterTable('accounts').dropColumn('deleted_at').execute();
  await db.schema.dropIndex('sessions_account').ifExists().execute();
  await db.schema.alterTable('sessions').dropColumn('client_address').execute();
  await db.schema.alterTable('sessions').dropColumn('user_agent').execute();
  await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute();
}

// Addresses are confirmed by a code mailed to them, not by holding a link
// (issue 16). Until then an address may be named by several accounts (the real
// owner must be able to sign up after a stranger did, and a sign-up must not
// reveal that the address is taken); at most one account holds it confirmed.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('accounts_email_unique').execute();
  await db.schema.createIndex('accounts_email').on('accounts').column('email').execute();
  await db.schema
    .createIndex('accounts_confirmed_email_unique')
    .on('accounts')
    .column('email')
    .unique()
    .where(sql.ref('email_verified_at'), 'is not', null)
    .execute();
  // Only the code's SHA-256 is kept; a code confirms one address for one account, once.
  await db.schema
    .createTable('email_confirmations')
    .addColumn('code_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('email_confirmations_account')
    .on('email_confirmations')
    .column('account_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('email_confirmations').execute();
  await db.schema.dropIndex('accounts_confirmed_email_unique').execute();
  await db.schema.dropIndex('accounts_email').execute();
  await db.schema
    .createIndex('accounts_email_unique')
    .on('accounts')
    .column('email')
    .unique()
    .execute();
}

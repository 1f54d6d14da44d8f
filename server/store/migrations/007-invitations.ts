// The invitation loop (issue 6): an account made from a personal reply link
// proved it reads that address's mail (the link was sent there), so it may see
// the calls it made through links to that address.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('email_verified_at', 'text').execute();
  // "Your replies" looks calls up by the address their link was sent to.
  await db.schema
    .createIndex('links_recipient_email')
    .on('links')
    .column('recipient_email')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('links_recipient_email').execute();
  await db.schema.alterTable('accounts').dropColumn('email_verified_at').execute();
}

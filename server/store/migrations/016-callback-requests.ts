// "Call me back when they're free" (issue 19, part 2): a personal link's page
// asks the sender to call back. One open request per link (asking again
// replaces it), a bounded number per sender (callback-request-store.ts); a
// request lapses with its link or after a few days, and goes once the sender
// calls back or dismisses it. `token_sealed` keeps the link's token (sealed
// with the server key) so a closed page's recipient can be mailed the link.
import type { Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('callback_requests')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('link_id', 'integer', (col) =>
      col.notNull().unique().references('links.id').onDelete('cascade'),
    )
    .addColumn('caller_name', 'text', (col) => col.notNull())
    .addColumn('token_sealed', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    // When the page was told the sender is free (claimed once, by one node).
    .addColumn('notified_at', 'text')
    // When the recipient was mailed "free now" (a closed page), at most once.
    .addColumn('emailed_at', 'text')
    .execute();
  await db.schema
    .createIndex('callback_requests_account')
    .on('callback_requests')
    .columns(['account_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('callback_requests').execute();
}

// The VAPID key pair (issue 18), one per deployment: every node signs pushes
// with it and every device subscribed with its public key, so it lives where
// all nodes read it, not under each node's DATA_DIR. The first node to start
// writes it; the others read it back (server/push/vapid-keys.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('vapid_keys')
    // Always 1: there is one pair.
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('public_key', 'text', (col) => col.notNull())
    // Sealed with the server key; null when the pair is configured (VAPID_PRIVATE_KEY).
    .addColumn('private_key', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addCheckConstraint('vapid_keys_one_pair', sql`id = 1`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('vapid_keys').execute();
}

// Web Push subscriptions (issue 18): one per device that allows notifications,
// replaced when its browser rotates it, gone with its device. The endpoint is
// indexed: a push service's 404/410 names the endpoint, not the device.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('push_subscriptions')
    .addColumn('account_id', 'integer', (col) => col.notNull())
    .addColumn('device_id', 'text', (col) => col.notNull())
    .addColumn('endpoint', 'text', (col) => col.notNull())
    // The browser's P-256 public key and auth secret (base64url): payloads are encrypted to them.
    .addColumn('p256dh', 'text', (col) => col.notNull())
    .addColumn('auth', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('push_subscriptions_pk', ['account_id', 'device_id'])
    .addForeignKeyConstraint(
      'push_subscriptions_device',
      ['account_id', 'device_id'],
      'devices',
      ['account_id', 'device_id'],
      (constraint) => constraint.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('push_subscriptions_endpoint')
    .on('push_subscriptions')
    .column('endpoint')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('push_subscriptions').execute();
}

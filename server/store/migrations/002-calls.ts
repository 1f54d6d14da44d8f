// Sessions, sender settings, devices, reply links and call records.
import type { Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('do_not_disturb', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('show_status', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('ring_first_seconds', 'integer', (col) => col.notNull().defaultTo(6))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('ring_total_seconds', 'integer', (col) => col.notNull().defaultTo(25))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('away_after_minutes', 'integer', (col) => col.notNull().defaultTo(10))
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('device_id', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('ring_preference', 'text', (col) => col.notNull().defaultTo('normal'))
    .addColumn('last_input_at', 'text')
    .addColumn('last_answered_at', 'text')
    .addPrimaryKeyConstraint('devices_pk', ['account_id', 'device_id'])
    .execute();

  await db.schema
    .createTable('links')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    // The signature link's token, sealed with the server key so its owner can copy it again.
    .addColumn('token_sealed', 'text')
    .addColumn('recipient_email', 'text')
    .addColumn('recipient_name', 'text')
    .addColumn('subject', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('calls', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('links_account').on('links').column('account_id').execute();

  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('link_id', 'integer', (col) => col.references('links.id').onDelete('set null'))
    .addColumn('caller_name', 'text', (col) => col.notNull())
    .addColumn('caller_email', 'text')
    .addColumn('subject', 'text')
    .addColumn('video', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('outcome', 'text')
    .addColumn('answered_device_id', 'text')
    .addColumn('answered_device_label', 'text')
    .addColumn('ring_reasons', 'text', (col) => col.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .createIndex('calls_account_started')
    .on('calls')
    .columns(['account_id', 'started_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['calls', 'links', 'devices', 'sessions']) {
    await db.schema.dropTable(table).execute();
  }
}

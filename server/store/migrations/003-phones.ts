// Senders' forwarding phone numbers, and the phone legs of each call.
import type { Kysely } from 'kysely';
import { autoIdColumn } from './column-types.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('phone_numbers')
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    // The forwarding order: 0 rings first.
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('number', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('phone_numbers_pk', ['account_id', 'position'])
    .addUniqueConstraint('phone_numbers_number_unique', ['account_id', 'number'])
    .execute();

  await db.schema
    .createTable('call_phone_legs')
    .addColumn('id', 'integer', autoIdColumn(db))
    .addColumn('call_id', 'text', (col) => col.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('number', 'text', (col) => col.notNull())
    .addColumn('trunk', 'text', (col) => col.notNull())
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('ended_at', 'text')
    // The SIP final response ("486 Busy Here"), or why no response came ("timeout").
    .addColumn('result', 'text')
    .execute();
  // History reads the legs of a page of calls at once.
  await db.schema
    .createIndex('call_phone_legs_call')
    .on('call_phone_legs')
    .column('call_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['call_phone_legs', 'phone_numbers']) {
    await db.schema.dropTable(table).execute();
  }
}

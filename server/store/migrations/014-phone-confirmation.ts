// Whether a forwarded call waits for a person to press 1 on each number (issue
// 19). On by default: a mobile's mailbox answers like a person would. Off for
// numbers that never go to voicemail (a desk phone on a PBX).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('phone_numbers')
    .addColumn('ask_to_press_1', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('phone_numbers').dropColumn('ask_to_press_1').execute();
}

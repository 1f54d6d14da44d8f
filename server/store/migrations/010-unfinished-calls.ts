// Calls without an end: the records a node left open when it died (found by
// server/calls/unfinished-calls.ts). The index holds only those, so finding
// them stays cheap however long the history grows.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('calls_unfinished')
    .on('calls')
    .column('started_at')
    .where(sql.ref('ended_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_unfinished').execute();
}

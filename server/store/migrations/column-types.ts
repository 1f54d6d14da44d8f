// The few column definitions whose SQL differs between SQLite and PostgreSQL.
import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/** An auto-numbered integer primary key. */
export function autoIdColumn(db: Kysely<unknown>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    // SQLite numbers an INTEGER PRIMARY KEY itself (it is the rowid).
    postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey();
}

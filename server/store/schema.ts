// The durable tables, as Kysely sees them. Timestamps are ISO-8601 UTC text so
// the same migrations and queries run on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface AccountTable {
  id: Generated<number>;
  email: string;
  display_name: string;
  password_hash: string;
  created_at: string;
}

export interface Database {
  accounts: AccountTable;
}

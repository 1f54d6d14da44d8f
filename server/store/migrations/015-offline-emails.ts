// Messages that find people offline (issue 19, part 3): chat bursts waiting
// to be emailed, what the relay remembers of each relayed message (the
// Message-ID a voice message replies to), the sealed tokens of the links it
// minted (so a recipient can be mailed their own link again), and the
// sender's switch for chat emails.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('chat_emails', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();

  // One row per relayed message that got links (the links' message_key).
  await db.schema
    .createTable('relayed_messages')
    .addColumn('message_key', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    // As it went out ("<id@host>"); null when the sender's header could not be used.
    .addColumn('message_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  // Sealed with the server key, as the signature link's (ADR 006).
  await db.schema
    .createTable('relayed_link_tokens')
    .addColumn('link_id', 'integer', (col) =>
      col.primaryKey().references('links.id').onDelete('cascade'),
    )
    .addColumn('token_sealed', 'text', (col) => col.notNull())
    .execute();

  // A burst of unread chat messages to one side of a link (server/mail/chat-emails.ts).
  await db.schema
    .createTable('chat_email_bursts')
    .addColumn('link_id', 'integer', (col) =>
      col.notNull().references('links.id').onDelete('cascade'),
    )
    // Who the messages are for: 'sender' (the desk) or 'caller' (the reply page).
    .addColumn('addressee', 'text', (col) => col.notNull())
    .addColumn('first_message_id', 'integer', (col) => col.notNull())
    .addColumn('last_message_id', 'integer', (col) => col.notNull())
    .addColumn('due_at', 'text', (col) => col.notNull())
    // A node working on the burst: its random claim and until when it holds it.
    .addColumn('claim', 'text')
    .addColumn('claimed_until', 'text')
    .addPrimaryKeyConstraint('chat_email_bursts_key', ['link_id', 'addressee'])
    .execute();
  await db.schema
    .createIndex('chat_email_bursts_due')
    .on('chat_email_bursts')
    .column('due_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('chat_email_bursts').execute();
  await db.schema.dropTable('relayed_link_tokens').execute();
  await db.schema.dropTable('relayed_messages').execute();
  await db.schema.alterTable('accounts').dropColumn('chat_emails').execute();
}

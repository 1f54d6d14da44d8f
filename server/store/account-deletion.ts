// Deleting an account (issue 20, ADR 025): in one transaction, every table of
// schema.ts is either cleared of the account's rows or keeps them without the
// personal data. What happens to each table:
//
//   accounts            kept as an anonymous row (its calls point at it): address
//                       `deleted-<id>@voxreply.invalid`, name "Deleted account",
//                       a password hash nothing matches, deleted_at set; no log-in,
//                       no lookup (findByEmail, findById) finds it again
//   sessions            deleted (their sockets are closed by the caller)
//   password_resets     deleted
//   email_confirmations deleted
//   devices             deleted (labels name people's machines)
//   push_subscriptions  deleted
//   phone_numbers       deleted
//   app_passwords       deleted
//   links               deleted: their pages then say the link does not work
//                       (LINK_NOT_WORKING: the answer for any unknown link)
//   relayed_link_tokens deleted (the links' sealed tokens)
//   relayed_messages    deleted (subjects, Message-IDs of relayed mail)
//   chat_messages       deleted (the chats on the account's links)
//   chat_email_bursts   deleted
//   callback_requests   deleted
//   voicemails          deleted; the caller removes the recordings' files after commit
//   calls               the account's calls kept for counts and outcomes, without
//                       caller names, caller addresses, subjects, device ids and
//                       labels, ring reasons (they may name devices)
//   call_phone_legs     of those calls: kept, the number blanked
//   call_guests         of those calls: kept, the name blanked
//   vapid_keys          the deployment's, not an account's: untouched
//
// Calls the person made to other senders, and links other senders sent to the
// address, belong to those senders' records: untouched.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What the caller must still do outside the transaction. */
export interface DeletedAccount {
  /** The account's session ids (their sockets are to be disconnected). */
  sessionIds: string[];
  /** The voice messages whose recordings are to be removed from disk. */
  voicemailIds: string[];
}

export const DELETED_ACCOUNT_NAME = 'Deleted account';

export async function deleteAccount(
  db: Kysely<Database>,
  accountId: number,
  now = new Date(),
): Promise<DeletedAccount | undefined> {
  return db.transaction().execute(async (trx) => {
    const account = await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!account) return undefined;
    const sessionIds = (
      await trx
        .deleteFrom('sessions')
        .where('account_id', '=', accountId)
        .returning('token_hash')
        .execute()
    ).map((row) => row.token_hash);
    const voicemailIds = (
      await trx
        .deleteFrom('voicemails')
        .where('account_id', '=', accountId)
        .returning('id')
        .execute()
    ).map((row) => row.id);
    const links = trx.selectFrom('links').select('id').where('account_id', '=', accountId);
    await trx.deleteFrom('chat_messages').where('link_id', 'in', links).execute();
    await trx.deleteFrom('chat_email_bursts').where('link_id', 'in', links).execute();
    await trx.deleteFrom('relayed_link_tokens').where('link_id', 'in', links).execute();
    await trx.deleteFrom('callback_requests').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('relayed_messages').where('account_id', '=', accountId).execute();
    await trx
      .updateTable('call_guests')
      .set({ link_id: null })
      .where('link_id', 'in', links)
      .execute();
    const calls = trx.selectFrom('calls').select('id').where('account_id', '=', accountId);
    await trx.updateTable('call_guests').set({ name: '' }).where('call_id', 'in', calls).execute();
    await trx
      .updateTable('call_phone_legs')
      .set({ number: '' })
      .where('call_id', 'in', calls)
      .execute();
    await trx
      .updateTable('calls')
      .set({
        link_id: null,
        caller_name: '',
        caller_email: null,
        subject: null,
        answered_device_id: null,
        answered_device_label: null,
        ring_reasons: '[]',
      })
      .where('account_id', '=', accountId)
      .execute();
    await trx.deleteFrom('links').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('push_subscriptions').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('devices').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('phone_numbers').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('app_passwords').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('email_confirmations').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('password_resets').where('account_id', '=', accountId).execute();
    await trx
      .updateTable('accounts')
      .set({
        email: `deleted-${accountId}@voxreply.invalid`,
        display_name: DELETED_ACCOUNT_NAME,
        // Not a scrypt hash: no password matches it (password.ts).
        password_hash: 'deleted',
        email_verified_at: null,
        deleted_at: now.toISOString(),
        show_status: 0,
        chat_enabled: 0,
        chat_emails: 0,
        notify_missed_calls: 0,
      })
      .where('id', '=', accountId)
      .execute();
    return { sessionIds, voicemailIds };
  });
}

// What the relay remembers of the mail it relayed, beyond the links it minted:
// each message's Message-ID and subject (a voice message about it goes back
// into its thread as a reply), and each minted link's token, sealed with the
// server key like the signature link's (ADR 006), so the recipient can be
// mailed their own link again (chat emails). A leaked database alone reveals
// no usable token.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface RelayedMessage {
  messageKey: string;
  accountId: number;
  /** "<...>" as the recipients got it; null when the sender's header could not be used. */
  messageId: string | null;
  subject: string | null;
}

export class RelayedMessageStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** A link the relay minted: its message (recorded once) and its sealed token (kept once). */
  async remember(linkId: number, tokenSealed: string, message: RelayedMessage): Promise<void> {
    await this.#record(message);
    await this.#db
      .insertInto('relayed_link_tokens')
      .values({ link_id: linkId, token_sealed: tokenSealed })
      .onConflict((conflict) => conflict.column('link_id').doNothing())
      .execute();
  }

  /** Again: nothing changes, so a relay restarted mid-message may call it twice. */
  async #record(message: RelayedMessage, now = new Date()): Promise<void> {
    await this.#db
      .insertInto('relayed_messages')
      .values({
        message_key: message.messageKey,
        account_id: message.accountId,
        message_id: message.messageId,
        subject: message.subject,
        created_at: now.toISOString(),
      })
      .onConflict((conflict) => conflict.column('message_key').doNothing())
      .execute();
  }

  /** The relayed message a link was minted for, if the relay recorded it. */
  async forLink(linkId: number): Promise<RelayedMessage | undefined> {
    const row = await this.#db
      .selectFrom('links')
      .innerJoin('relayed_messages', (join) =>
        join
          .onRef('relayed_messages.message_key', '=', 'links.message_key')
          .onRef('relayed_messages.account_id', '=', 'links.account_id'),
      )
      .select([
        'relayed_messages.message_key as messageKey',
        'relayed_messages.account_id as accountId',
        'relayed_messages.message_id as messageId',
        'relayed_messages.subject as subject',
      ])
      .where('links.id', '=', linkId)
      .executeTakeFirst();
    return row;
  }

  /** A relayed link's sealed token, if the relay kept it. */
  async sealedToken(linkId: number): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('relayed_link_tokens')
      .select('token_sealed')
      .where('link_id', '=', linkId)
      .executeTakeFirst();
    return row?.token_sealed;
  }
}

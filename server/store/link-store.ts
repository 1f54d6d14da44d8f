// Reply links. A link is found by the hash of its token; the token itself is
// never stored, except the signature link's, sealed with the server key.
import type { Kysely, Selectable } from 'kysely';
import { hashToken } from '../security/tokens.js';
import type { Database, LinkTable } from './schema.js';

export type LinkKind = 'signature' | 'recipient';

export interface Link {
  id: number;
  accountId: number;
  kind: LinkKind;
  tokenSealed: string | null;
  recipientEmail: string | null;
  recipientName: string | null;
  subject: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  calls: number;
  /** The relayed message this link was minted for (its recipients share it). */
  messageKey: string | null;
  /** A relayed Bcc recipient's link: never shown to the others nor part of their call. */
  blindCopy: boolean;
}

export interface NewLink {
  accountId: number;
  kind: LinkKind;
  token: string;
  tokenSealed?: string;
  recipientEmail?: string;
  recipientName?: string;
  subject?: string;
  expiresAt?: Date;
  messageKey?: string;
  blindCopy?: boolean;
}

export class LinkStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(link: NewLink, now = new Date()): Promise<Link> {
    const row = await this.#db
      .insertInto('links')
      .values({
        account_id: link.accountId,
        kind: link.kind,
        token_hash: hashToken(link.token),
        token_sealed: link.tokenSealed ?? null,
        recipient_email: link.recipientEmail?.toLowerCase() ?? null,
        recipient_name: link.recipientName ?? null,
        subject: link.subject ?? null,
        created_at: now.toISOString(),
        expires_at: link.expiresAt?.toISOString() ?? null,
        message_key: link.messageKey ?? null,
        blind_copy: link.blindCopy ? 1 : 0,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toLink(row);
  }

  /** The link for a token, whatever its state (expiry and revocation are the caller's to judge). */
  async findByToken(token: string): Promise<Link | undefined> {
    const row = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    return row && toLink(row);
  }

  /** A link by id, whosever it is (for the server's own work, never a request's). */
  async findById(id: number): Promise<Link | undefined> {
    const row = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toLink(row);
  }

  /** One of the account's links, by id. */
  async findOwned(accountId: number, id: number): Promise<Link | undefined> {
    const row = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toLink(row);
  }

  async list(accountId: number): Promise<Link[]> {
    const rows = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toLink);
  }

  /** The account's links minted for one relayed message (its recipients). */
  async listForMessage(accountId: number, messageKey: string): Promise<Link[]> {
    const rows = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('message_key', '=', messageKey)
      .orderBy('id')
      .execute();
    return rows.map(toLink);
  }

  /** Revokes one of the account's links; false when it has no such link. */
  async revoke(accountId: number, id: number, now = new Date()): Promise<boolean> {
    const result = await this.#db
      .updateTable('links')
      .set({ revoked_at: now.toISOString() })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordCall(id: number, now = new Date()): Promise<void> {
    await this.#db
      .updateTable('links')
      .set((eb) => ({ calls: eb('calls', '+', 1), last_used_at: now.toISOString() }))
      .where('id', '=', id)
      .execute();
  }
}

/**
 * A link whose caller may share a call with the other recipients of its email:
 * minted by the relay for a To or Cc recipient, and still usable.
 */
export function inGroup(link: Link, now = new Date()): link is Link & { messageKey: string } {
  return link.messageKey !== null && !link.blindCopy && linkUsable(link, now);
}

export function linkUsable(link: Link, now = new Date()): boolean {
  return !link.revokedAt && (!link.expiresAt || link.expiresAt > now);
}

function toLink(row: Selectable<LinkTable>): Link {
  const date = (value: string | null) => (value ? new Date(value) : null);
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as LinkKind,
    tokenSealed: row.token_sealed,
    recipientEmail: row.recipient_email,
    recipientName: row.recipient_name,
    subject: row.subject,
    createdAt: new Date(row.created_at),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    lastUsedAt: date(row.last_used_at),
    calls: row.calls,
    messageKey: row.message_key,
    blindCopy: row.blind_copy === 1,
  };
}

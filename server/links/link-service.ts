// Minting and describing reply links: the token (128 random bits) goes into the
// URL once; the store keeps its hash (and, for the signature link, a sealed copy).
import type { CreateLinkBody, LinkInfo } from '../../protocol/links.js';
import type { SealedBox } from '../security/sealed-box.js';
import { randomToken } from '../security/tokens.js';
import type { Link, LinkStore } from '../store/link-store.js';

/** What the relay knows about the recipient a link is minted for. */
export interface RelayLink {
  recipientEmail: string;
  recipientName: string | undefined;
  subject: string | undefined;
  messageKey: string;
  /** A Bcc recipient (never shown to the others). */
  blindCopy: boolean;
}

export class LinkService {
  readonly #links: LinkStore;
  readonly #box: SealedBox;
  readonly #publicUrl: string;

  constructor(links: LinkStore, box: SealedBox, publicUrl: string) {
    this.#links = links;
    this.#box = box;
    this.#publicUrl = publicUrl;
  }

  urlFor(token: string): string {
    return `${this.#publicUrl}/r/${token}`;
  }

  badgeUrlFor(token: string): string {
    return `${this.#publicUrl}/b/${token}.png`;
  }

  async createSignature(accountId: number): Promise<Link> {
    const token = randomToken();
    return this.#links.create({
      accountId,
      kind: 'signature',
      token,
      tokenSealed: this.#box.seal(token),
    });
  }

  async createForRecipient(
    accountId: number,
    body: CreateLinkBody,
  ): Promise<{ id: number; url: string }> {
    const token = randomToken();
    const link = await this.#links.create({
      accountId,
      kind: 'recipient',
      token,
      ...(body.recipientEmail ? { recipientEmail: body.recipientEmail } : {}),
      ...(body.recipientName ? { recipientName: body.recipientName } : {}),
      ...(body.subject ? { subject: body.subject } : {}),
      ...(body.expiresAt ? { expiresAt: new Date(body.expiresAt) } : {}),
    });
    return { id: link.id, url: this.urlFor(token) };
  }

  /**
   * The link for a token the relay chose before minting (its spool records the
   * token first, so a relay restarted mid-message mints each link once).
   */
  async ensureRelayLink(accountId: number, token: string, link: RelayLink): Promise<Link> {
    const existing = await this.#links.findByToken(token);
    if (existing) return existing;
    return this.#links.create({
      accountId,
      kind: 'recipient',
      token,
      recipientEmail: link.recipientEmail,
      ...(link.recipientName ? { recipientName: link.recipientName } : {}),
      ...(link.subject ? { subject: link.subject } : {}),
      messageKey: link.messageKey,
      blindCopy: link.blindCopy,
    });
  }

  async list(accountId: number): Promise<LinkInfo[]> {
    const links = await this.#links.list(accountId);
    return links.map((link) => ({
      id: link.id,
      kind: link.kind,
      url: link.tokenSealed ? this.urlFor(this.#box.open(link.tokenSealed)) : null,
      recipientEmail: link.recipientEmail,
      recipientName: link.recipientName,
      subject: link.subject,
      createdAt: link.createdAt.toISOString(),
      expiresAt: link.expiresAt?.toISOString() ?? null,
      revokedAt: link.revokedAt?.toISOString() ?? null,
      lastUsedAt: link.lastUsedAt?.toISOString() ?? null,
      calls: link.calls,
    }));
  }
}

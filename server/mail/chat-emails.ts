// Chat messages that find people offline (issue 19): a chat message left
// unread while its addressee has nothing open is emailed to them, once per
// burst.
//
// A burst is what one side of a link writes to the other from its first
// message the addressee has not read until either the addressee reads up to
// its newest message (the burst is over: no email) or CHAT_EMAIL_AFTER_SECONDS
// (default 300) pass without a new message from that side (quiet: the burst
// is due). Each new message restarts the quiet period; reading part of it
// leaves the rest as the burst. When a burst is due:
//   - the addressee has the chat in front of them (the sender a desk app
//     connected on any node; the recipient a reply page with the chat open):
//     it is due again one quiet period later;
//   - else one email carries its unread messages (the newest 20), and the
//     burst is closed: what is written next is a new burst.
// To the sender: through the mail spool to their address, with a link to the
// chat in the desk app. To the recipient: only on links the relay minted (the
// address came with the sender's own email and the server kept the link's
// token sealed), with their own link. The sender's "chat emails" setting
// turns both off.
//
// Nothing waits in memory: bursts are rows (server/store/chat-email-store.ts)
// that every node scans, a bounded batch at a time. A node claims a due burst
// with a compare-and-set for a minute and queues the email only if closing the
// burst under its claim succeeds, so two nodes never both send, and a node
// that dies mid-way leaves a claim that runs out and is taken up again.
import type { ChatMessage, ChatSide } from '../../protocol/chat.js';
import type { Logger } from '../logger.js';
import type { SealedBox } from '../security/sealed-box.js';
import { randomToken } from '../security/tokens.js';
import type { Account, AccountStore } from '../store/account-store.js';
import type { ChatBurst, ChatEmailStore } from '../store/chat-email-store.js';
import type { ChatStore } from '../store/chat-store.js';
import { linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import type { RelayedMessageStore } from '../store/relayed-message-store.js';
import { mailToRecipient, mailToSender, type UnreadBurst } from './chat-email-text.js';
import { composeMessage, envelopeAddress } from './compose.js';
import type { DeliveryQueue } from './delivery-queue.js';

/** Bursts looked at per query; a full batch is followed by another at once, up to a few. */
const BATCH = 20;
const BATCHES_PER_SCAN = 10;
/** Unread messages one email shows (the newest; it says how many more there were). */
const MESSAGES_PER_EMAIL = 20;
/** How long a node's claim on a burst holds before another node may take it. */
const CLAIM_MS = 60_000;

export interface ChatEmailsOptions {
  bursts: ChatEmailStore;
  chats: ChatStore;
  links: LinkStore;
  relayed: RelayedMessageStore;
  accounts: AccountStore;
  box: SealedBox;
  queue: DeliveryQueue;
  /** MAIL_FROM. */
  from: string;
  publicUrl: string;
  /** A recipient link's URL for its token. */
  replyUrl: (token: string) => string;
  /** CHAT_EMAIL_AFTER_SECONDS in ms: the quiet period that ends a burst. */
  afterMs: number;
  /** Whether the sender has a desk app connected, on any node. */
  deskOpen: (accountId: number) => Promise<boolean>;
  /** Whether a reply page has the link's chat open, on any node. */
  pageOpen: (link: Link) => Promise<boolean>;
  logger: Logger;
}

/** What to do with a due burst. */
type Decision =
  | { kind: 'mail'; to: string; message: Buffer; messages: number }
  | { kind: 'drop'; reason: string }
  | { kind: 'wait'; reason: string };

export class ChatEmails {
  readonly #options: ChatEmailsOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: ChatEmailsOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'chat-emails' });
  }

  /** Scans for due bursts every quarter of the quiet period (0.5–30 s). */
  start(): void {
    const every = Math.min(30_000, Math.max(500, this.#options.afterMs / 4));
    this.#timer = setInterval(() => this.#scan(), every);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** A message was stored: it starts or extends its addressee's burst. */
  async sent(link: Link, message: ChatMessage): Promise<void> {
    const addressee: ChatSide = message.from === 'caller' ? 'sender' : 'caller';
    // A recipient is mailed only on links the relay minted (see above).
    if (addressee === 'caller' && (link.recipientEmail === null || link.messageKey === null))
      return;
    const dueAt = new Date(Date.parse(message.sentAt) + this.#options.afterMs);
    await this.#options.bursts.noteMessage(link.id, addressee, message.id, dueAt);
  }

  /** `reader` read the other side's messages up to `upToId`. */
  async read(link: Link, reader: ChatSide, upToId: number): Promise<void> {
    await this.#options.bursts.noteRead(link.id, reader, upToId);
  }

  #scan(): void {
    if (this.#running || this.#closed) return;
    this.#running = this.#scanDue()
      .catch((error: unknown) => this.#log.error({ err: error }, 'chat email scan failed'))
      .finally(() => (this.#running = undefined));
  }

  async #scanDue(): Promise<void> {
    for (let batch = 0; batch < BATCHES_PER_SCAN; batch += 1) {
      const due = await this.#options.bursts.due(new Date(), BATCH);
      for (const burst of due) {
        if (this.#closed) return;
        await this.#settle(burst).catch((error: unknown) =>
          this.#log.error(
            { err: error, linkId: burst.linkId, addressee: burst.addressee },
            'could not settle a chat burst (tried again when its claim runs out)',
          ),
        );
      }
      if (due.length < BATCH || this.#closed) return;
    }
  }

  async #settle(burst: ChatBurst): Promise<void> {
    const { bursts, queue, from } = this.#options;
    const claim = randomToken();
    const now = Date.now();
    if (!(await bursts.claim(burst, claim, new Date(now), new Date(now + CLAIM_MS)))) return;
    const log = this.#log.child({ linkId: burst.linkId, addressee: burst.addressee });
    const decision = await this.#decide(burst);
    if (decision.kind === 'wait') {
      await bursts.postpone(burst, claim, new Date(Date.now() + this.#options.afterMs));
      log.debug({ reason: decision.reason }, 'chat burst waits');
      return;
    }
    // Closed under our claim, or someone else's business now: never both.
    if (!(await bursts.close(burst, claim, burst.lastMessageId))) {
      log.info('chat burst read or taken by another node meanwhile: no email from here');
      return;
    }
    if (decision.kind === 'drop') {
      log.debug({ reason: decision.reason }, 'chat burst closed without an email');
      return;
    }
    try {
      await queue.addGenerated(
        { from: envelopeAddress(from), to: [decision.to] },
        decision.message,
      );
      log.info({ messages: decision.messages }, 'chat email queued');
    } catch (error) {
      // The burst is closed: at most one email, so this one is lost (the spool could not take it).
      log.error({ err: error, messages: decision.messages }, 'chat email lost: not queued');
    }
  }

  async #decide(burst: ChatBurst): Promise<Decision> {
    const { links, accounts, chats } = this.#options;
    const link = await links.findById(burst.linkId);
    if (!link || !linkUsable(link)) return { kind: 'drop', reason: 'the link no longer works' };
    const account = await accounts.findById(link.accountId);
    if (!account?.settings.chatEnabled || !account.settings.chatEmails)
      return { kind: 'drop', reason: 'chat emails are off' };
    const writer: ChatSide = burst.addressee === 'sender' ? 'caller' : 'sender';
    const unread = await chats.unreadBetween(
      link.id,
      writer,
      burst.firstMessageId,
      burst.lastMessageId,
      MESSAGES_PER_EMAIL,
    );
    if (unread.total === 0) return { kind: 'drop', reason: 'read' };
    return burst.addressee === 'sender'
      ? this.#toSender(link, account, unread)
      : this.#toRecipient(link, account, unread);
  }

  async #toSender(link: Link, account: Account, burst: UnreadBurst): Promise<Decision> {
    const { accounts, publicUrl, from } = this.#options;
    if (await this.#options.deskOpen(account.id)) return { kind: 'wait', reason: 'a desk is open' };
    // As SenderNotices: only the address's one account mails it (ADR 006).
    if ((await accounts.findByEmail(account.email))?.id !== account.id)
      return { kind: 'drop', reason: 'the address is not this account’s' };
    const message = await composeMessage(
      mailToSender({
        from,
        sender: { name: account.displayName, address: account.email },
        author: burst.messages.at(-1)?.authorName ?? link.recipientName ?? 'A recipient',
        subject: link.subject,
        burst,
        chatUrl: `${publicUrl}/app#chat-${link.id}`,
        settingsUrl: `${publicUrl}/app#mail-title`,
      }),
    );
    return { kind: 'mail', to: account.email, message, messages: burst.total };
  }

  async #toRecipient(link: Link, account: Account, burst: UnreadBurst): Promise<Decision> {
    const { relayed, box, from } = this.#options;
    const sealed = await relayed.sealedToken(link.id);
    if (!link.recipientEmail || !sealed)
      return { kind: 'drop', reason: 'the link has no address or no token to mail' };
    if (await this.#options.pageOpen(link)) return { kind: 'wait', reason: 'the page is open' };
    const thread = await relayed.forLink(link.id);
    const message = await composeMessage(
      mailToRecipient({
        fromAddress: envelopeAddress(from),
        senderName: account.displayName,
        recipient: { name: link.recipientName ?? '', address: link.recipientEmail },
        subject: thread?.subject ?? link.subject,
        inReplyTo: thread?.messageId ?? null,
        burst,
        replyUrl: this.#options.replyUrl(box.open(sealed)),
      }),
    );
    return { kind: 'mail', to: link.recipientEmail, message, messages: burst.total };
  }
}

// Delivers what the spool holds, a few messages at a time, and keeps each
// message's progress on disk as it goes:
//
//   accepted ──plan──▶ copies planned (tokens chosen, sealed)
//            ──mint──▶ links stored
//            ──send──▶ each copy: pending → delivered | failed
//   all copies settled ──▶ bounce queued (if any failed) ──▶ removed
//
// A copy is marked delivered (fsynced) as soon as the smarthost accepts it,
// so a restart sends only what is still pending. The one window no SMTP
// client can close (the smarthost accepted, then we died before writing it
// down) is RFC 1047's; it is a few milliseconds wide.
//
// Over the ~400-line rule (about 450 lines): the steps above share one
// message's on-disk state and its retry timers, and a split would pass that
// state between files; the retry schedule is the part to move out first.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { LinkService } from '../links/link-service.js';
import type { SealedBox } from '../security/sealed-box.js';
import { randomToken } from '../security/tokens.js';
import type { AccountStore } from '../store/account-store.js';
import type { RelayedMessageStore } from '../store/relayed-message-store.js';
import { composeBounce, type FailedRecipient } from './bounce.js';
import { renderDevice, type RenderedDevice } from './device.js';
import type { MailSpool } from './mail-spool.js';
import { readAll, rewriteMessage } from './message-rewriter.js';
import { withoutBccHeader } from './raw-headers.js';
import { planCopies } from './recipient-plan.js';
import { editsForCopy, inspectMessage, outgoingMessageId, takesDevice } from './relay-edits.js';
import type { Smarthost } from './smarthost.js';

/** Messages delivered at once (the smarthost pool keeps as many connections). */
const PARALLEL_MESSAGES = 4;

export type CopyStatus = 'pending' | 'delivered' | 'failed';

export interface SpooledCopy {
  recipients: string[];
  link: {
    tokenSealed: string;
    recipientEmail: string;
    recipientName: string | null;
    /** A Bcc recipient; absent in spool entries written before group replies (treated as Bcc). */
    blindCopy?: boolean;
    stored: boolean;
  } | null;
  status: CopyStatus;
  /** Recipients the smarthost refused for good, with its answer. */
  failures: FailedRecipient[];
}

/** A spool entry's state: a sender's message, or one the server wrote (bounce, notice). */
export interface SpooledMessage {
  origin: 'relayed' | 'generated';
  accountId: number | null;
  mailFrom: string;
  recipients: string[];
  receivedAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  subject: string | null;
  /** The copies' Message-ID (null: none a reply could name); absent in entries planned before. */
  messageId?: string | null;
  /** Body parts of each kind, counted when planned (the device goes into the last of each). */
  bodyParts?: { html: number; text: number };
  /** Why every copy goes out as submitted (only Bcc removed), when it does. */
  asSubmitted?: string;
  /** null until planned (relayed mail); generated mail is one plain copy from the start. */
  copies: SpooledCopy[] | null;
  bounceQueued: boolean;
}

export interface DeliveryQueueOptions {
  spool: MailSpool<SpooledMessage>;
  smarthost: Smarthost;
  links: LinkService;
  accounts: AccountStore;
  /** Where each message's Message-ID and its links' sealed tokens are kept. */
  relayed?: RelayedMessageStore;
  box: SealedBox;
  /** Waits between attempts, in order; the last one repeats until `giveUpAfterMs`. */
  retryDelaysMs: number[];
  giveUpAfterMs: number;
  /** For Message-IDs and the bounce sender's address. */
  hostname: string;
  logger: Logger;
}

export class DeliveryQueue {
  readonly #options: DeliveryQueueOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #waiting = 0;

  constructor(options: DeliveryQueueOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Queues a message the server wrote (a bounce, a notification). */
  async addGenerated(envelope: { from: string; to: string[] }, message: Buffer): Promise<void> {
    const now = new Date().toISOString();
    await this.#options.spool.add(message, {
      origin: 'generated',
      accountId: null,
      mailFrom: envelope.from,
      recipients: envelope.to,
      receivedAt: now,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      subject: null,
      copies: [{ recipients: envelope.to, link: null, status: 'pending', failures: [] }],
      bounceQueued: false,
    });
    this.wake();
  }

  /**
   * Messages in the spool not yet settled: counted when a run lists the spool,
   * one less as each is finished (so it reads 0 only once all is written down).
   */
  get waiting(): number {
    return this.#waiting;
  }

  /** Runs what is due now (after a new message, at start, when a retry is due). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#runDue()
      .catch((error: unknown) => this.#log.error({ err: error }, 'mail queue run failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops taking up work; waits for the message in hand so its state is written. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #runDue(): Promise<void> {
    clearTimeout(this.#timer);
    try {
      const entries = await this.#options.spool.list();
      this.#waiting = entries.length;
      const now = Date.now();
      const due = entries.filter((entry) => Date.parse(entry.state.nextAttemptAt) <= now);
      // A few messages at once, each on its own smarthost connection from the pool.
      let next = 0;
      const worker = async () => {
        for (let entry = due[next++]; entry && !this.#closed; entry = due[next++]) {
          await this.#processSafely(entry.id, entry.state);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_MESSAGES, due.length) }, worker));
    } finally {
      await this.#armTimer();
    }
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  /** One message; whatever goes wrong (a full disk, the store) is retried later, never thrown. */
  async #processSafely(id: string, state: SpooledMessage): Promise<void> {
    try {
      await this.#process(id, state);
    } catch (error) {
      this.#log.error({ err: error, spoolId: id }, 'could not process a message');
      await this.#retryLater(id, state, String(error)).catch((stuck: unknown) =>
        this.#log.error({ err: stuck, spoolId: id }, 'could not reschedule a message'),
      );
    }
  }

  /** Wakes up when the next message is due (a minute from now if the spool cannot be read). */
  async #armTimer(): Promise<void> {
    if (this.#closed) return;
    let nextDue: number;
    try {
      const left = await this.#options.spool.list();
      this.#waiting = left.length;
      nextDue = Math.min(...left.map((entry) => Date.parse(entry.state.nextAttemptAt)));
    } catch (error) {
      this.#log.error({ err: error }, 'could not read the mail spool');
      nextDue = Date.now() + 60_000;
    }
    // close() may have come while the spool was read.
    if (Number.isFinite(nextDue) && !this.#isClosed()) {
      this.#timer = setTimeout(() => this.wake(), Math.max(0, nextDue - Date.now()));
    }
  }

  async #process(id: string, state: SpooledMessage): Promise<void> {
    const { spool } = this.#options;
    const log = this.#log.child({ spoolId: id });
    if (!state.copies) {
      state.copies = await this.#plan(id, state);
      await spool.update(id, state);
    }
    // Written down once stored: a retry of this message mints nothing again.
    if (await this.#storeLinks(id, state)) await spool.update(id, state);

    const device = new DeviceRenderer(this.#options, state.accountId);
    let deferred: string | undefined;
    // Every pending copy gets its try: one recipient's slow server holds up no one else.
    for (const copy of state.copies.filter((c) => c.status === 'pending')) {
      const message = await this.#render(id, state, copy, device);
      const result = await this.#options.smarthost.send(
        { from: state.mailFrom, to: copy.recipients },
        message,
      );
      if (result.kind === 'transient') {
        deferred = result.error;
        continue;
      }
      if (result.kind === 'permanent') {
        copy.status = 'failed';
        copy.failures = copy.recipients.map((address) => ({ address, error: result.error }));
      } else {
        copy.status = 'delivered';
        copy.failures = result.refused.filter((refusal) => refusal.permanent);
        // Recipients refused for now (4xx) get a copy of their own, tried again later.
        const later = result.refused.filter((refusal) => !refusal.permanent);
        if (later.length > 0) {
          state.copies.push({
            recipients: later.map((refusal) => refusal.address),
            link: copy.link,
            status: 'pending',
            failures: [],
          });
          deferred = later[0]?.error;
        }
      }
      await spool.update(id, state);
      log.info({ to: copy.recipients.length, status: copy.status }, 'mail copy settled');
    }
    if (deferred !== undefined) {
      await this.#retryLater(id, state, deferred);
      return;
    }
    await this.#finish(id, state);
  }

  /** Who gets which copy; each link's token is chosen now and kept (sealed) in the spool. */
  async #plan(id: string, state: SpooledMessage): Promise<SpooledCopy[]> {
    // Outside the catch: a spool that cannot be read is a reason to retry.
    const message = await readFile(this.#options.spool.messagePath(id));
    const facts = await inspectMessage(message, this.#options.links.urlFor('')).catch(
      (error: unknown) => {
        // Mail we cannot read still goes out, as it came.
        this.#log.warn({ err: error, spoolId: id }, 'could not read a message: no device added');
        return undefined;
      },
    );
    state.subject = facts?.subject ?? null;
    state.messageId = facts
      ? outgoingMessageId(facts.messageIdHeader, `<${id}@${this.#options.hostname}>`)
      : null;
    state.bodyParts = facts?.bodyParts ?? { html: 0, text: 0 };
    if (facts?.notRoundTripping !== undefined) {
      // The splitter would change the sender's text (issue 16: it dropped a
      // line after a boundary look-alike) before any edit of ours.
      state.asSubmitted = facts.notRoundTripping;
      this.#log.warn(
        { spoolId: id, reason: facts.notRoundTripping },
        'message goes out as submitted (minus Bcc): no device added',
      );
    }
    // A link is minted only for a device that will be inserted somewhere.
    const copies = planCopies({
      envelopeRecipients: state.recipients,
      visibleRecipients: facts?.visibleRecipients ?? [],
      senderEmail: state.mailFrom,
      addDevice: facts !== undefined && takesDevice(facts),
    });
    this.#log.info(
      { spoolId: id, copies: copies.length, optedOut: facts?.optedOut, had: facts?.carriesDevice },
      'mail planned',
    );
    return copies.map((copy) => ({
      recipients: copy.recipients,
      link: copy.link && {
        tokenSealed: this.#options.box.seal(randomToken()),
        recipientEmail: copy.link.recipientEmail,
        recipientName: copy.link.recipientName ?? null,
        blindCopy: copy.link.blindCopy,
        stored: false,
      },
      status: 'pending',
      failures: [],
    }));
  }

  /** Stores the links not stored yet; whether there were any. */
  async #storeLinks(id: string, state: SpooledMessage): Promise<boolean> {
    let stored = false;
    for (const copy of state.copies ?? []) {
      if (!copy.link || copy.link.stored || state.accountId === null) continue;
      const link = await this.#options.links.ensureRelayLink(
        state.accountId,
        this.#options.box.open(copy.link.tokenSealed),
        {
          recipientEmail: copy.link.recipientEmail,
          recipientName: copy.link.recipientName ?? undefined,
          subject: state.subject?.slice(0, 300) ?? undefined,
          messageKey: id,
          blindCopy: copy.link.blindCopy ?? true,
        },
      );
      // What a voice message about it replies to, and the link to mail its recipient again.
      await this.#options.relayed?.remember(link.id, copy.link.tokenSealed, {
        messageKey: id,
        accountId: state.accountId,
        messageId: state.messageId ?? null,
        subject: state.subject?.slice(0, 300) ?? null,
      });
      copy.link.stored = true;
      stored = true;
    }
    return stored;
  }

  /** The bytes one copy goes out as; a message the rewriter cannot read goes out as it came. */
  async #render(
    id: string,
    state: SpooledMessage,
    copy: SpooledCopy,
    device: DeviceRenderer,
  ): Promise<Buffer> {
    const file = this.#options.spool.messagePath(id);
    if (state.origin === 'generated') return readFile(file);
    if (state.asSubmitted !== undefined) return withoutBccHeader(await readFile(file));
    // Outside the try: a store that cannot answer now is a reason to retry, not to send bare.
    const copyDevice = copy.link
      ? await device.render(this.#options.box.open(copy.link.tokenSealed))
      : undefined;
    try {
      return await readAll(
        rewriteMessage(
          createReadStream(file),
          editsForCopy({
            device: copyDevice,
            messageId: `<${id}@${this.#options.hostname}>`,
            date: new Date(state.receivedAt),
            bodyParts: state.bodyParts ?? { html: 0, text: 0 },
          }),
        ),
      );
    } catch (error) {
      // Mail the rewriter cannot read still goes out, but never with its Bcc list.
      this.#log.warn(
        { err: error, spoolId: id },
        'could not rewrite a message: sending it as it came',
      );
      return withoutBccHeader(await readFile(file));
    }
  }

  async #retryLater(id: string, state: SpooledMessage, error: string): Promise<void> {
    const { retryDelaysMs, giveUpAfterMs } = this.#options;
    state.attempts += 1;
    state.lastError = error;
    if (Date.now() - Date.parse(state.receivedAt) >= giveUpAfterMs) {
      for (const copy of state.copies ?? []) {
        if (copy.status !== 'pending') continue;
        copy.status = 'failed';
        copy.failures = copy.recipients.map((address) => ({
          address,
          error: `gave up after ${state.attempts} attempts: ${error}`,
        }));
      }
      await this.#options.spool.update(id, state);
      await this.#finish(id, state);
      return;
    }
    const delay = retryDelaysMs[Math.min(state.attempts, retryDelaysMs.length) - 1] ?? 60_000;
    state.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    await this.#options.spool.update(id, state);
    this.#log.warn(
      { spoolId: id, attempts: state.attempts, retryInMs: delay, error },
      'mail deferred',
    );
  }

  /** Every copy settled: tell the sender what failed (never about a bounce), then forget it. */
  async #finish(id: string, state: SpooledMessage): Promise<void> {
    const failures = (state.copies ?? []).flatMap((copy) => copy.failures);
    if (failures.length > 0 && state.mailFrom !== '' && !state.bounceQueued) {
      const original = await readFile(this.#options.spool.messagePath(id));
      const bounce = await composeBounce({
        hostname: this.#options.hostname,
        to: state.mailFrom,
        subject: state.subject,
        failures,
        original,
      });
      await this.addGenerated({ from: '', to: [state.mailFrom] }, bounce);
      state.bounceQueued = true;
      await this.#options.spool.update(id, state);
    }
    await this.#options.spool.remove(id);
    this.#waiting = Math.max(0, this.#waiting - 1);
  }
}

/** The device each copy carries, drawn for the sender once per message. */
class DeviceRenderer {
  readonly #options: DeliveryQueueOptions;
  readonly #accountId: number | null;
  #sender: { name: string; video: boolean } | undefined;

  constructor(options: DeliveryQueueOptions, accountId: number | null) {
    this.#options = options;
    this.#accountId = accountId;
  }

  async render(token: string): Promise<RenderedDevice | undefined> {
    if (this.#accountId === null) return undefined;
    if (!this.#sender) {
      const account = await this.#options.accounts.findById(this.#accountId);
      if (!account) return undefined;
      this.#sender = { name: account.displayName, video: account.settings.offerVideo };
    }
    const { links } = this.#options;
    return renderDevice({
      replyUrl: links.urlFor(token),
      badgeUrl: links.badgeUrlFor(token),
      senderName: this.#sender.name,
      video: this.#sender.video,
    });
  }
}

// "Ada is free now" (issue 19, part 2): a recipient who asked to be called
// back and closed their reply page hears by email once the sender is free:
// once per request (claimed in the store), and only on links the relay
// minted for the sender's own email, which know the recipient's address and
// whose token the server kept sealed. The email is a reply in that email's
// thread, with the recipient's own link.
import type { Logger } from '../logger.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { CallbackRequest, CallbackRequestStore } from '../store/callback-request-store.js';
import { linkUsable, type LinkStore } from '../store/link-store.js';
import type { RelayedMessageStore } from '../store/relayed-message-store.js';
import { reSubject } from './chat-email-text.js';
import { composeMessage } from './compose.js';
import type { DeliveryQueue } from './delivery-queue.js';

export interface FreeNowEmailsOptions {
  requests: Pick<CallbackRequestStore, 'claimEmail'>;
  links: LinkStore;
  relayed: RelayedMessageStore;
  box: SealedBox;
  queue: DeliveryQueue;
  /** MAIL_FROM's address. */
  fromAddress: string;
  /** A recipient link's URL for its token. */
  replyUrl: (token: string) => string;
  logger: Logger;
}

export class FreeNowEmails {
  readonly #options: FreeNowEmailsOptions;
  readonly #log: Logger;

  constructor(options: FreeNowEmailsOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'free-now-emails' });
  }

  /** Mails the request's recipient that `senderName` is free, if the link allows it; never throws. */
  async send(request: CallbackRequest, senderName: string): Promise<void> {
    const { links, relayed, box, queue, requests } = this.#options;
    const log = this.#log.child({ requestId: request.id, linkId: request.linkId });
    try {
      const link = await links.findById(request.linkId);
      // Only the relay's links: a link made in the desk with a typed address never mails.
      const sealed = await relayed.sealedToken(request.linkId);
      if (!link || !linkUsable(link) || !link.recipientEmail || !sealed) return;
      if (!(await requests.claimEmail(request.id))) return;
      const thread = await relayed.forLink(link.id);
      const subject = thread?.subject ?? link.subject;
      const url = this.#options.replyUrl(box.open(sealed));
      const message = await composeMessage({
        from: { name: `${senderName} via Voxreply`, address: this.#options.fromAddress },
        to: { name: link.recipientName ?? '', address: link.recipientEmail },
        subject: subject ? reSubject(subject) : `${senderName} is free now`,
        ...(thread?.messageId
          ? { inReplyTo: thread.messageId, references: [thread.messageId] }
          : {}),
        headers: { 'Auto-Submitted': 'auto-generated' },
        text: [
          `${senderName} is free now. You asked to be called back; call them: ${url}`,
          '',
          'This link is yours alone: please do not forward this email.',
        ].join('\n'),
      });
      await queue.addGenerated(
        { from: this.#options.fromAddress, to: [link.recipientEmail] },
        message,
      );
      log.info('free-now email queued');
    } catch (error) {
      log.error({ err: error }, 'free-now email not sent');
    }
  }
}

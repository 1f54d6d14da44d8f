// The ticket a reply page is rung with when the sender calls it back, and
// carries back in call:start when it answers: sealed with the server key
// (every node shares it), so whichever node runs the call can read it with
// nothing kept in memory. It names the request, the link, the sender and the
// desk device that pressed Call, and lapses after TICKET_LIFETIME_MS. It
// starts one call: the request it names goes once that call starts.
import { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { Link } from '../store/link-store.js';

/** How long a page may take to answer the sender's call-back. */
export const TICKET_LIFETIME_MS = 60_000;

const ticketSchema = z.object({
  requestId: z.number().int().positive(),
  linkId: z.number().int().positive(),
  accountId: z.number().int().positive(),
  deviceId: z.string().min(1),
  expiresAt: z.number(),
});
export type CallbackTicket = z.infer<typeof ticketSchema>;

const REFUSED = 'this call-back is over: call again';

export class CallbackTickets {
  readonly #box: SealedBox;

  constructor(box: SealedBox) {
    this.#box = box;
  }

  issue(
    ticket: Omit<CallbackTicket, 'expiresAt'>,
    now = Date.now(),
  ): { sealed: string; expiresAt: number } {
    const expiresAt = now + TICKET_LIFETIME_MS;
    return { sealed: this.#box.seal(JSON.stringify({ ...ticket, expiresAt })), expiresAt };
  }

  /** What the ticket names, if it is genuine, current and for this link; else refused. */
  read(sealed: string, link: Link, now = Date.now()): CallbackTicket {
    let ticket: CallbackTicket;
    try {
      ticket = ticketSchema.parse(JSON.parse(this.#box.open(sealed)));
    } catch {
      throw new RequestError(ErrorCode.Forbidden, REFUSED);
    }
    if (ticket.linkId !== link.id || ticket.accountId !== link.accountId || ticket.expiresAt <= now)
      throw new RequestError(ErrorCode.Forbidden, REFUSED);
    return ticket;
  }
}

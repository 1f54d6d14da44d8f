// The reply page stays live (issue 19, part 2): the sender's status pushed to
// the open page, and "Call me back when they're free". The page names its
// link by token, the desk a request by id; every request is parsed here at
// the server's edge. The reply page imports only the types (no zod in its
// bundle).
import { z } from 'zod';
import type { SenderStatus } from './accounts.js';
import { MAX_CALLER_NAME_LENGTH } from './limits.js';
import { linkTokenSchema } from './links.js';

/** A reply page asks to hear the sender's status (and its link's callback news). */
export const statusWatchSchema = z.object({ token: linkTokenSchema });
export type StatusWatchRequest = z.infer<typeof statusWatchSchema>;

/** The sender's status as the page may show it: null while the sender hides it. */
export interface SenderStatusUpdate {
  status: SenderStatus | null;
}

/** The answer to status:watch: the status now, and whether this link waits for a callback. */
export interface StatusWatched extends SenderStatusUpdate {
  senderName: string;
  /** This link asked to be called back and the sender has not yet done so. */
  callbackWaiting: boolean;
  /** "Call me back" is offered on this link (a personal link). */
  callbackOffered: boolean;
}

/** "Call me back when they're free", from a personal link's page. */
export const callbackRequestSchema = z.object({
  token: linkTokenSchema,
  callerName: z.string().trim().min(1).max(MAX_CALLER_NAME_LENGTH),
});
export type CallbackRequestBody = z.infer<typeof callbackRequestSchema>;

/** The desk lists its requests; the payload is empty but required (an object). */
export const callbackListSchema = z.object({}).strict();
export type CallbackListRequest = z.infer<typeof callbackListSchema>;

/** The desk calls a recipient back (rings their open page), or drops the request. */
export const callbackIdSchema = z.object({ requestId: z.number().int().positive() });
export type CallbackIdRequest = z.infer<typeof callbackIdSchema>;

/** A request as the sender's desk lists it. */
export interface CallbackRequestView {
  id: number;
  linkId: number;
  callerName: string;
  subject: string | null;
  /** ISO times. */
  requestedAt: string;
  /** When the page was told the sender is free (null: not yet). */
  notifiedAt: string | null;
  /** A page of the link is open now: Call rings it. */
  pageOpen: boolean;
}

/** The answer to the desk's Call: how many open pages of the link ring. */
export interface CallbackCallResult {
  reached: number;
}

/** To the waiting page: the sender is free now. */
export interface CallbackFree {
  senderName: string;
}

/** To the link's open pages: the sender calls back; answering starts a call with `ticket`. */
export interface CallbackRing {
  senderName: string;
  /** Sealed by the server: names the request, the link and the desk that pressed Call. */
  ticket: string;
  /** ISO time after which the ticket no longer starts a call. */
  expiresAt: string;
}

/** A callback ticket as carried back by call:start (sealed, opaque to the page). */
export const callbackTicketSchema = z.string().min(16).max(1024);

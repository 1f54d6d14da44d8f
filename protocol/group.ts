// Group replies: everyone who received the same email (the To and Cc
// recipients of one relayed message) can join one call with the sender.
import { z } from 'zod';
import { callIdSchema } from './call.js';
import { MAX_CALLER_NAME_LENGTH } from './limits.js';
import { linkTokenSchema } from './links.js';

// The group limits live in limits.ts, which the pages import without zod.
export { MAX_CALL_PARTICIPANTS, MAX_VIDEO_SENDERS } from './limits.js';

/** A reply page asks to hear about its email's call (and the sender's invitations). */
export const groupWatchSchema = z.object({ token: linkTokenSchema });
export type GroupWatchRequest = z.infer<typeof groupWatchSchema>;

/** A reply page joins the call running for its email. */
export const joinCallSchema = z.object({
  token: linkTokenSchema,
  callId: callIdSchema,
  callerName: z.string().trim().min(1).max(MAX_CALLER_NAME_LENGTH),
  video: z.boolean().default(false),
});
export type JoinCallRequest = z.input<typeof joinCallSchema>;

/** The sender invites another recipient of the email into the running call. */
export const inviteToCallSchema = z.object({
  callId: callIdSchema,
  linkId: z.number().int().positive(),
});
export type InviteToCallRequest = z.infer<typeof inviteToCallSchema>;

export interface Participant {
  /** The peer id its producers carry (to match tracks and the active speaker). */
  peerId: string;
  name: string;
  role: 'sender' | 'recipient';
}

export interface CallParticipants {
  callId: string;
  participants: Participant[];
  /** Who speaks loudest now, when known (later changes come as media:activeSpeaker). */
  activeSpeaker: string | null;
}

/** What a watching reply page sees of its email's call. */
export interface GroupCallState {
  /** null when no call for this email is running (answered) now. */
  callId: string | null;
  /** The recipients talking with the sender now. */
  talking: string[];
  /** The call has room for one more. */
  canJoin: boolean;
  /** The call is a video call (joining offers the camera). */
  video: boolean;
}

export interface GroupInvitation {
  callId: string;
  senderName: string;
  talking: string[];
}

/** Another recipient of the email a call is about, for the sender's "Invite". */
export interface CallRecipient {
  linkId: number;
  name: string | null;
  email: string;
  /** In the call now. */
  inCall: boolean;
  /** Their reply page is open (an invitation reaches them at once). */
  pageOpen: boolean;
}

export interface InviteResult {
  /** Reply pages the invitation reached (0: they will see the call when they open the link). */
  reached: number;
}

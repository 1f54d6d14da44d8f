// A reply call: the caller's page, the sender's ringing devices, the outcome.
import { z } from 'zod';
import type { CallerStage } from './caller-stage.js';
import { callbackTicketSchema } from './callback.js';
import { MAX_CALLER_NAME_LENGTH } from './limits.js';
import { linkTokenSchema } from './links.js';
import type { JoinRoomResult } from './media.js';
import type { PhoneLegView } from './phones.js';

// The stages live apart from the schemas so the reply page can read them without zod.
export { FINAL_CALLER_STAGES, offersVoiceMessage, type CallerStage } from './caller-stage.js';

export const callIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'is not a call id');
const callId = callIdSchema;

export const startCallSchema = z.object({
  token: linkTokenSchema,
  callerName: z.string().trim().min(1).max(MAX_CALLER_NAME_LENGTH),
  video: z.boolean().default(false),
  /**
   * Answering the sender's call-back (protocol/callback.ts): the ticket the
   * page was rung with. The call then rings only the desk that called back.
   */
  callback: callbackTicketSchema.optional(),
});
export type StartCallRequest = z.input<typeof startCallSchema>;

export const callIdRequestSchema = z.object({ callId });
export type CallIdRequest = z.infer<typeof callIdRequestSchema>;

/** Keypad tones for a phone the caller is talking to (RFC 4733 events). */
export const callDtmfSchema = z.object({
  callId,
  digits: z.string().regex(/^[0-9*#A-Da-d]{1,20}$/, 'must be 1-20 keypad keys (0-9, *, #, A-D)'),
});
export type CallDtmfRequest = z.infer<typeof callDtmfSchema>;

export const answerCallSchema = z.object({ callId, video: z.boolean().default(false) });
export type AnswerCallRequest = z.input<typeof answerCallSchema>;

export interface StartCallResult {
  callId: string;
  senderName: string;
  /** The page may send its camera (a group call's fifth video sender joins with voice only). */
  maySendVideo: boolean;
  /** The call's media room: the caller sets up media while it rings. */
  media: JoinRoomResult;
  /**
   * Proves this page placed the call: after its connection drops (the node
   * it reached died) the page resumes the call on another node with it.
   * Absent on a single node (nothing to resume) and for a joined group call.
   */
  resumeToken?: string;
}

/** A reply page, reconnected (to any node), takes its call back. */
export const resumeCallSchema = z.object({
  callId,
  resumeToken: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'is not a resume token'),
});
export type ResumeCallRequest = z.infer<typeof resumeCallSchema>;

export interface ResumeCallResult {
  callId: string;
  /** The call's new media room: the page sets its media up there (as after a room move). */
  media: JoinRoomResult;
}

export interface AnswerCallResult {
  callId: string;
  media: JoinRoomResult;
}

export interface CallProgress {
  callId: string;
  stage: CallerStage;
  senderName: string;
  /** For `connected`: ISO time the call was answered. */
  answeredAt?: string;
  /** For `connected`: the caller talks to a phone (the page offers a keypad). */
  toPhone?: boolean;
}

export interface IncomingCall {
  callId: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  video: boolean;
  /** The sender is already in another call. */
  senderBusy: boolean;
  /** "Send to my phone" can forward this call (numbers set, a trunk up). */
  canSendToPhone: boolean;
  /** The page answered this device's call-back (the request's id): the desk answers at once. */
  callbackId?: number;
}

export type RingEndReason =
  'answered_elsewhere' | 'caller_hung_up' | 'no_answer' | 'declined' | 'forwarded_to_phone';

export interface RingEnded {
  callId: string;
  reason: RingEndReason;
  /** The label of the device that answered, for "Answered on Laptop". */
  answeredOn?: string;
}

export interface CallEnded {
  callId: string;
  by: 'caller' | 'sender' | 'system';
}

export type CallOutcome = 'answered' | 'missed' | 'declined' | 'cancelled';

export interface CallRecordView {
  id: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  video: boolean;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  outcome: CallOutcome | null;
  answeredOn: string | null;
  durationSeconds: number | null;
  /** Why each device rang (or did not): "Laptop: input 3 s ago, focused". */
  ringReasons: string[];
  /** Forwarding attempts to the sender's phones, in the order they were made. */
  phoneLegs: PhoneLegView[];
  /** Other recipients of the email who joined the call, in the order they joined. */
  guests: string[];
}

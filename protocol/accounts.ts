// Sender accounts, sessions and settings (HTTP bodies under /api).
import { z } from 'zod';
import {
  AWAY_AFTER_MINUTES,
  FIRST_STAGE_SECONDS,
  MAX_ACCOUNT_NAME_LENGTH,
  MIN_PASSWORD_LENGTH,
  TOTAL_RING_SECONDS,
} from './limits.js';

export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'is required').max(MAX_ACCOUNT_NAME_LENGTH),
  email: z.email({ message: 'must be an email address' }).max(254),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(200),
  /**
   * The personal reply link the person came from ("Get your own link"). Kept
   * for the form's sake; it confirms nothing (a forwarded email carries it):
   * only the code mailed to the address does.
   */
  fromLink: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22,64}$/, 'is not a link token')
    .optional(),
});
export type SignUpBody = z.infer<typeof signUpSchema>;

/**
 * The code from the confirmation email (the link's `#confirm=` part). It
 * confirms only the account it was issued to: the request must come with that
 * account's session, or with its password (the link opened in another browser,
 * where the account may not be the one its address logs in to).
 */
export const confirmEmailSchema = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a confirmation code'),
  password: z.string().min(1).max(200).optional(),
});
export type ConfirmEmailBody = z.infer<typeof confirmEmailSchema>;

/** "Send the link again": the logged-in account's own address; nothing to choose. */
export const resendConfirmationSchema = z.object({}).strict();
export type ResendConfirmationBody = z.infer<typeof resendConfirmationSchema>;

/** The answer to a resend: where the link went. */
export interface ConfirmationSent {
  sentTo: string;
}

export const logInSchema = z.object({
  email: z.email({ message: 'must be an email address' }).max(254),
  password: z.string().min(1).max(200),
});
export type LogInBody = z.infer<typeof logInSchema>;

/** Seconds; T1 = the most active device alone, T2 = total ring time. */
export const ringPlanSchema = z
  .object({
    firstStageSeconds: z.number().int().min(FIRST_STAGE_SECONDS.min).max(FIRST_STAGE_SECONDS.max),
    totalSeconds: z.number().int().min(TOTAL_RING_SECONDS.min).max(TOTAL_RING_SECONDS.max),
  })
  .refine((plan) => plan.firstStageSeconds < plan.totalSeconds, {
    message: 'firstStageSeconds must be shorter than totalSeconds',
    path: ['firstStageSeconds'],
  });
export type RingPlan = z.infer<typeof ringPlanSchema>;

export const updateSettingsSchema = z.object({
  doNotDisturb: z.boolean().optional(),
  /** Whether callers see the sender's status on the reply page. */
  showStatus: z.boolean().optional(),
  ringPlan: ringPlanSchema.optional(),
  /** Minutes without input before the sender counts as away. */
  awayAfterMinutes: z
    .number()
    .int()
    .min(AWAY_AFTER_MINUTES.min)
    .max(AWAY_AFTER_MINUTES.max)
    .optional(),
  /** The email device also offers "Reply by video". */
  offerVideo: z.boolean().optional(),
  /** Email the sender about calls nobody answered. */
  notifyMissedCalls: z.boolean().optional(),
  /** Reply pages offer a text chat. */
  chatEnabled: z.boolean().optional(),
  /** Email chat messages left unread (to the sender, and to recipients of relayed mail). */
  chatEmails: z.boolean().optional(),
});
export type UpdateSettingsBody = z.infer<typeof updateSettingsSchema>;

export interface AccountSettings {
  doNotDisturb: boolean;
  showStatus: boolean;
  ringPlan: RingPlan;
  awayAfterMinutes: number;
  offerVideo: boolean;
  notifyMissedCalls: boolean;
  chatEnabled: boolean;
  chatEmails: boolean;
}

export interface Me {
  id: number;
  name: string;
  email: string;
  /** The address was confirmed (the code mailed to it came back). */
  emailConfirmed: boolean;
  settings: AccountSettings;
}

export const senderStatusSchema = z.enum([
  'available',
  'busy',
  'do_not_disturb',
  'away',
  'offline',
]);
export type SenderStatus = z.infer<typeof senderStatusSchema>;

/** A call this person made through a reply link sent to their address. */
export interface MyReply {
  callId: string;
  senderName: string;
  subject: string | null;
  startedAt: string;
  /** The call's outcome, or "joined" for a group call joined through the link. */
  outcome: string | null;
}

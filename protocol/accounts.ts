// Sender accounts, sessions and settings (HTTP bodies under /api).
import { z } from 'zod';

export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  email: z.email({ message: 'must be an email address' }).max(254),
  password: z.string().min(8, 'must be at least 8 characters').max(200),
});
export type SignUpBody = z.infer<typeof signUpSchema>;

export const logInSchema = z.object({
  email: z.email({ message: 'must be an email address' }).max(254),
  password: z.string().min(1).max(200),
});
export type LogInBody = z.infer<typeof logInSchema>;

/** Seconds; T1 = the most active device alone, T2 = total ring time. */
export const ringPlanSchema = z
  .object({
    firstStageSeconds: z.number().int().min(2).max(60),
    totalSeconds: z.number().int().min(5).max(180),
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
  awayAfterMinutes: z.number().int().min(1).max(240).optional(),
  /** The email device also offers "Reply by video". */
  offerVideo: z.boolean().optional(),
  /** Email the sender about calls nobody answered. */
  notifyMissedCalls: z.boolean().optional(),
  /** Reply pages offer a text chat. */
  chatEnabled: z.boolean().optional(),
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
}

export interface Me {
  id: number;
  name: string;
  email: string;
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

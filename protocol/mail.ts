// The mail relay as the desk app sees it: app passwords and how to connect.
import { z } from 'zod';
import { MAX_APP_PASSWORD_LABEL_LENGTH } from './limits.js';

export const createAppPasswordSchema = z.object({
  label: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(
      MAX_APP_PASSWORD_LABEL_LENGTH,
      `must be at most ${MAX_APP_PASSWORD_LABEL_LENGTH} characters`,
    ),
});
export type CreateAppPasswordBody = z.infer<typeof createAppPasswordSchema>;

export interface AppPasswordInfo {
  id: number;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Answer to creating an app password: the password is shown this once. */
export interface CreatedAppPassword extends AppPasswordInfo {
  password: string;
}

/** What a mail program needs to send through the relay; null when it is off. */
export interface RelaySettings {
  relay: { host: string; port: number; startTls: boolean; username: string } | null;
  appPasswords: AppPasswordInfo[];
}

/** The most app passwords one sender may hold (one per mail program is plenty). */
export const MAX_APP_PASSWORDS = 20;

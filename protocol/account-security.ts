// Account security (issue 20): forgotten passwords, changing the password, the
// account's sessions, deleting the account (HTTP bodies under /api).
import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from './limits.js';

/** A new password: the same rules as sign-up's (and its strength check on the server). */
export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(200);

/** "Forgot password?": the address to mail a reset link to, if it has an account. */
export const forgotPasswordSchema = z.object({
  email: z.email({ message: 'must be an email address' }).max(254),
});
export type ForgotPasswordBody = z.infer<typeof forgotPasswordSchema>;

/** The one answer to every forgot request: it never says whether the address has an account. */
export interface ForgotPasswordAnswer {
  message: string;
}
export const FORGOT_PASSWORD_MESSAGE = 'If that address has an account, we sent a link to it.';

/** The token from the mailed link (`/app#reset=<token>`, 256 random bits) and the new password. */
export const resetPasswordSchema = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a reset token'),
  password: newPasswordSchema,
});
export type ResetPasswordBody = z.infer<typeof resetPasswordSchema>;

/** Changing the password while logged in: the current one proves it is the owner. */
export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword: newPasswordSchema,
});
export type ChangePasswordBody = z.infer<typeof changePasswordSchema>;

/** How many other sessions an action ended (their sockets closed too). */
export interface SessionsEnded {
  ended: number;
}

/** "Log out everywhere else": nothing to choose. */
export const endOtherSessionsSchema = z.object({}).strict();

/** A session's id in the list (the hash of its token: it names it, cannot open it). */
export const sessionIdParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a session id'),
});

/** One of the account's live sessions, as the desk lists them. */
export interface SessionView {
  id: string;
  createdAt: string;
  /** Last used (to within a few minutes), or null. */
  lastSeenAt: string | null;
  userAgent: string | null;
  clientAddress: string | null;
  /** The session this request came with. */
  current: boolean;
}

/** Deleting the account: confirmed by typing its address. */
export const deleteAccountSchema = z.object({
  email: z.string().trim().min(1, 'is required').max(254),
});
export type DeleteAccountBody = z.infer<typeof deleteAccountSchema>;

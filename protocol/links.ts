// Reply links: one signature link per sender, and per-recipient links.
import { z } from 'zod';
import { MAX_RECIPIENT_NAME_LENGTH, MAX_SUBJECT_LENGTH } from './limits.js';

export const createLinkSchema = z.object({
  recipientEmail: z.email({ message: 'must be an email address' }).max(254).optional(),
  recipientName: z.string().trim().min(1).max(MAX_RECIPIENT_NAME_LENGTH).optional(),
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
    .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
    .optional(),
});
export type CreateLinkBody = z.infer<typeof createLinkSchema>;

export interface CreatedLink {
  id: number;
  url: string;
}

export interface LinkInfo {
  id: number;
  kind: 'signature' | 'recipient';
  /** Shown for the signature link only: recipient links' tokens exist only as hashes. */
  url: string | null;
  recipientEmail: string | null;
  recipientName: string | null;
  subject: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  calls: number;
}

/** What a reply page learns about its link: only what the sender allows. */
export interface ReplyPageInfo {
  senderName: string;
  /** null when the sender hides their status. */
  senderStatus: import('./accounts.js').SenderStatus | null;
  recipientName: string | null;
  subject: string | null;
  /** The longest voice message the caller may leave. */
  voicemailMaxSeconds: number;
  /** A text chat is offered (personal links of senders who allow it). */
  chat: boolean;
  /** For "Get your own reply-by-voice link" (links the relay mailed): the recipient's name. */
  invite: { name: string | null } | null;
}

/** Link tokens: 128 random bits, base64url (22 characters). */
export const linkTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'is not a link token');

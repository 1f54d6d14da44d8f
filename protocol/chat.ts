// Text chat between a reply page and the sender, per personal reply link:
// before, during and after a call. Messages persist; text is only ever text.
import { z } from 'zod';
import { MAX_CHAT_LENGTH } from './limits.js';
import { linkTokenSchema } from './links.js';

export { MAX_CHAT_LENGTH } from './limits.js';

/**
 * Which chat: a reply page names its link by token, the desk app by link id
 * (one of the two; the server checks which the socket may use).
 */
const where = {
  token: linkTokenSchema.optional(),
  linkId: z.number().int().positive().optional(),
};

export const chatOpenSchema = z.object(where);
export type ChatOpenRequest = z.infer<typeof chatOpenSchema>;

export const chatSendSchema = z.object({
  ...where,
  text: z
    .string()
    .trim()
    .min(1, 'is empty')
    .max(MAX_CHAT_LENGTH, `must be at most ${MAX_CHAT_LENGTH} characters`),
  /** Chosen by the page per message: a send retried after a lost answer stores it once. */
  key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16-64 letters, digits, - or _')
    .optional(),
  /** The caller's name (the reply page); the sender's comes from their account. */
  authorName: z.string().trim().min(1).max(100).optional(),
});
export type ChatSendRequest = z.infer<typeof chatSendSchema>;

export const chatReadSchema = z.object({ ...where, upToId: z.number().int().positive() });
export type ChatReadRequest = z.infer<typeof chatReadSchema>;

export type ChatSide = 'caller' | 'sender';

export interface ChatMessage {
  id: number;
  linkId: number;
  from: ChatSide;
  authorName: string;
  text: string;
  sentAt: string;
  /** When the other side saw it; null until then. */
  readAt: string | null;
}

export interface ChatOpened {
  /** False when the sender turned chat off (the page shows why). */
  enabled: boolean;
  messages: ChatMessage[];
}

/** The other side has seen every message of `from` up to `upToId`. */
export interface ChatRead {
  linkId: number;
  from: ChatSide;
  upToId: number;
  readAt: string;
}

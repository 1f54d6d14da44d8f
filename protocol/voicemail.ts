// Voice messages: a caller records one on the reply page when nobody answers;
// the sender lists, plays, marks and deletes them in the desk app.
import { z } from 'zod';
import { callIdSchema } from './call.js';

/** The query string of an upload (the body is the Ogg/Opus recording itself). */
export const voicemailUploadSchema = z.object({
  callerName: z.string().trim().min(1, 'is required').max(100),
  /** Chosen by the page per recording: a retried upload stores one message. */
  key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16-64 letters, digits, - or _'),
  /** The call that went unanswered, when the page had one. */
  callId: callIdSchema.optional(),
});
export type VoicemailUpload = z.infer<typeof voicemailUploadSchema>;

export interface VoicemailUploaded {
  id: string;
  durationSeconds: number;
}

export interface VoicemailView {
  id: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  durationSeconds: number;
  createdAt: string;
  heardAt: string | null;
}

export const updateVoicemailSchema = z.object({ heard: z.boolean() });

/** Sent to the sender's desk apps when a message arrives. */
export type VoicemailNew = VoicemailView;

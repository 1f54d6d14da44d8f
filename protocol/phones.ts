// The sender's forwarding phone numbers (HTTP bodies under /api/me/phones) and
// the phone legs a call record shows.
import { z } from 'zod';
import { MAX_PHONE_LABEL_LENGTH } from './limits.js';

/** The most phones a ring plan forwards to: each one rings in turn, so more would outlast a caller. */
export const MAX_PHONES = 5;

export const e164Schema = z
  .string()
  .trim()
  .regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +15551234567');

export const phoneNumberSchema = z.object({
  number: e164Schema,
  label: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(MAX_PHONE_LABEL_LENGTH, `must be at most ${MAX_PHONE_LABEL_LENGTH} characters`),
  /**
   * "Ask me to press 1": a forwarded call is connected only once someone
   * presses 1 on this phone (a mailbox never does). On when left out; off for
   * numbers that never go to voicemail (a desk phone on a PBX).
   */
  askToPress1: z.boolean().default(true),
});
/** As stored and read back (askToPress1 always set). */
export type PhoneNumber = z.infer<typeof phoneNumberSchema>;
/** As a client may send it (askToPress1 may be left out). */
export type PhoneNumberInput = z.input<typeof phoneNumberSchema>;

/** In forwarding order: the first number rings first. */
export const phoneListSchema = z
  .object({
    phones: z.array(phoneNumberSchema).max(MAX_PHONES, `may hold at most ${MAX_PHONES} numbers`),
  })
  .refine((list) => new Set(list.phones.map((phone) => phone.number)).size === list.phones.length, {
    message: 'each number only once',
    path: ['phones'],
  });
export type PhoneList = z.infer<typeof phoneListSchema>;

/** One attempt to forward a call to a phone, as the call history shows it. */
export interface PhoneLegView {
  number: string;
  /** The SIP trunk the leg went through. */
  trunk: string;
  /**
   * The outcome, e.g. "486 Busy Here", "answered", "confirmed by key 1" or
   * "not confirmed (voicemail?)"; null while the leg is live.
   */
  result: string | null;
  startedAt: string;
  answeredAt: string | null;
  durationSeconds: number | null;
}

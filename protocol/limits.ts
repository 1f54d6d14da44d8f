// The limits the server enforces and the pages repeat (form fields, texts):
// one source, which the zod schemas read too. Imports nothing on purpose: the
// pages import it, and zod must stay out of the reply page's bundle.

/** Everyone in one call, the sender included: audio for all of them. */
export const MAX_CALL_PARTICIPANTS = 8;
/** Of those, how many may send video (tiles on every screen). */
export const MAX_VIDEO_SENDERS = 4;

/** The name a caller gives on a reply page (starting or joining a call). */
export const MAX_CALLER_NAME_LENGTH = 80;
/** One chat message, in characters. */
export const MAX_CHAT_LENGTH = 2000;

/** A sender's name on their account. */
export const MAX_ACCOUNT_NAME_LENGTH = 100;
/** Shorter passwords are refused at sign-up. */
export const MIN_PASSWORD_LENGTH = 8;

/** What a sender calls a link's recipient. */
export const MAX_RECIPIENT_NAME_LENGTH = 100;
/** A link's subject (the email it is about). */
export const MAX_SUBJECT_LENGTH = 300;

/** A desk device's name ("Laptop"). */
export const MAX_DEVICE_LABEL_LENGTH = 60;
/** An app password's name (the mail program it is for). */
export const MAX_APP_PASSWORD_LABEL_LENGTH = 60;
/** A forwarding phone number's name ("Mobile"). */
export const MAX_PHONE_LABEL_LENGTH = 40;

/** Inclusive bounds of a whole-number setting. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** The ring plan's T1: seconds the most active device rings alone. */
export const FIRST_STAGE_SECONDS: Range = { min: 2, max: 60 };
/** The ring plan's T2: seconds the sender's devices ring in all. */
export const TOTAL_RING_SECONDS: Range = { min: 5, max: 180 };
/** Minutes without input before the sender counts as away. */
export const AWAY_AFTER_MINUTES: Range = { min: 1, max: 240 };

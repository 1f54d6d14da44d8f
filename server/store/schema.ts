// The durable tables, as Kysely sees them. Timestamps are ISO-8601 UTC text and
// booleans 0/1 integers, so the same migrations and queries run on SQLite and
// PostgreSQL.
import type { Generated } from 'kysely';

export interface AccountTable {
  id: Generated<number>;
  email: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  do_not_disturb: Generated<number>;
  show_status: Generated<number>;
  ring_first_seconds: Generated<number>;
  ring_total_seconds: Generated<number>;
  away_after_minutes: Generated<number>;
  offer_video: Generated<number>;
  notify_missed_calls: Generated<number>;
  chat_enabled: Generated<number>;
  chat_emails: Generated<number>;
  email_verified_at: string | null;
  /** When the account was deleted (the row stays, anonymous, for its calls: migration 017). */
  deleted_at: string | null;
}

export interface SessionTable {
  token_hash: string;
  account_id: number;
  created_at: string;
  expires_at: string;
  /** Last request or socket seen with it (updated at most every few minutes). */
  last_seen_at: string | null;
  user_agent: string | null;
  client_address: string | null;
}

export interface DeviceTable {
  account_id: number;
  device_id: string;
  label: string;
  platform: string;
  ring_preference: Generated<string>;
  last_input_at: string | null;
  last_answered_at: string | null;
}

export interface LinkTable {
  id: Generated<number>;
  account_id: number;
  kind: string;
  token_hash: string;
  token_sealed: string | null;
  recipient_email: string | null;
  recipient_name: string | null;
  subject: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  calls: Generated<number>;
  message_key: string | null;
  /** 1 for a relayed Bcc recipient's link (never part of a group call). */
  blind_copy: Generated<number>;
}

export interface CallTable {
  id: string;
  account_id: number;
  link_id: number | null;
  caller_name: string;
  caller_email: string | null;
  subject: string | null;
  video: number;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  outcome: string | null;
  answered_device_id: string | null;
  answered_device_label: string | null;
  ring_reasons: Generated<string>;
}

export interface Database {
  accounts: AccountTable;
  sessions: SessionTable;
  devices: DeviceTable;
  links: LinkTable;
  calls: CallTable;
  phone_numbers: PhoneNumberTable;
  call_phone_legs: CallPhoneLegTable;
  call_guests: CallGuestTable;
  app_passwords: AppPasswordTable;
  voicemails: VoicemailTable;
  chat_messages: ChatMessageTable;
  email_confirmations: EmailConfirmationTable;
  push_subscriptions: PushSubscriptionTable;
  vapid_keys: VapidKeyTable;
  callback_requests: CallbackRequestTable;
  relayed_messages: RelayedMessageTable;
  relayed_link_tokens: RelayedLinkTokenTable;
  chat_email_bursts: ChatEmailBurstTable;
  password_resets: PasswordResetTable;
}

/** A password reset link mailed to an account's address; only its hash is kept. */
export interface PasswordResetTable {
  token_hash: string;
  account_id: number;
  created_at: string;
  expires_at: string;
}

/** The deployment's VAPID key pair (one row, id 1); base64url keys. */
export interface VapidKeyTable {
  id: number;
  public_key: string;
  /** Sealed with the server key; null when the pair is configured (VAPID_*). */
  private_key: string | null;
  created_at: string;
}

/** A device's Web Push subscription (one per device; the keys are base64url). */
export interface PushSubscriptionTable {
  account_id: number;
  device_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: string;
  updated_at: string;
}

/** A code mailed to an address; only its hash is kept. */
export interface EmailConfirmationTable {
  code_hash: string;
  account_id: number;
  email: string;
  expires_at: string;
}

export interface PhoneNumberTable {
  account_id: number;
  position: number;
  number: string;
  label: string;
  /** 1: a forwarded call waits for key 1 on this number (migration 014). */
  ask_to_press_1: Generated<number>;
}

export interface CallPhoneLegTable {
  id: Generated<number>;
  call_id: string;
  number: string;
  trunk: string;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  result: string | null;
}

/** A recipient who joined a call besides its first caller (group replies). */
export interface CallGuestTable {
  id: Generated<number>;
  call_id: string;
  link_id: number | null;
  name: string;
  joined_at: string;
  left_at: string | null;
}

export interface AppPasswordTable {
  id: Generated<number>;
  account_id: number;
  label: string;
  password_hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface VoicemailTable {
  id: string;
  account_id: number;
  link_id: number;
  call_id: string | null;
  caller_name: string;
  caller_email: string | null;
  subject: string | null;
  duration_ms: number;
  bytes: number;
  upload_key: string;
  created_at: string;
  heard_at: string | null;
}

export interface ChatMessageTable {
  id: Generated<number>;
  link_id: number;
  side: string;
  author_name: string;
  body: string;
  sent_at: string;
  read_at: string | null;
  client_key: string | null;
}

/** A relayed message that got links: what a voice message about it replies to. */
export interface RelayedMessageTable {
  message_key: string;
  account_id: number;
  message_id: string | null;
  subject: string | null;
  created_at: string;
}

/** A relayed recipient link's token, sealed with the server key. */
export interface RelayedLinkTokenTable {
  link_id: number;
  token_sealed: string;
}

/** Unread chat messages to one side of a link, waiting to be emailed. */
export interface ChatEmailBurstTable {
  link_id: number;
  addressee: string;
  first_message_id: number;
  last_message_id: number;
  due_at: string;
  claim: string | null;
  claimed_until: string | null;
}

/** "Call me back when they're free": one open request per personal link. */
export interface CallbackRequestTable {
  id: Generated<number>;
  account_id: number;
  link_id: number;
  caller_name: string;
  token_sealed: string | null;
  created_at: string;
  expires_at: string;
  notified_at: string | null;
  emailed_at: string | null;
}

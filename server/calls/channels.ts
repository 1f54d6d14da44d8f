// Every Socket.IO channel (room) name, built here and nowhere else. A channel
// is who hears an event: the people of one call, one device's tabs, one
// sender's desks, the pages watching an email's group call, and so on.
import { hashToken } from '../security/tokens.js';

export const channels = {
  /** Everyone in a call's media room: the caller, the answering device, guests. */
  call: (callId: string): string => `call:${callId}`,
  /** Every tab of one of a sender's devices (where rings go). */
  device: (accountId: number, deviceId: string): string => `device:${accountId}:${deviceId}`,
  /** Every desk of a sender (device lists, voice messages, chats). */
  account: (accountId: number): string => `account:${accountId}`,
  /** Reply pages watching one email's call (its recipients' open pages). */
  group: (accountId: number, messageKey: string): string => `group:${accountId}:${messageKey}`,
  /** One recipient's open reply pages (where the sender's invitation goes). */
  groupLink: (linkId: number): string => `group-link:${linkId}`,
  /** Reply pages watching a sender's status (every link of the sender). */
  senderStatus: (accountId: number): string => `status:${accountId}`,
  /** A personal link's open reply pages (call-back news and rings). */
  replyPages: (linkId: number): string => `reply-pages:${linkId}`,
  /** A personal link's text chat. */
  chat: (linkId: number): string => `chat:${linkId}`,
  /** A microphone-check room of the diagnostics page. */
  diagnostics: (name: string): string => `diag:${name}`,
  /** Every socket signed in with one session (signing out disconnects them). */
  session: (token: string): string => `session:${hashToken(token)}`,
  /** The same channel named by the session's id (its token's hash: SessionStore.idOf). */
  sessionId: (id: string): string => `session:${id}`,
} as const;

// Typed error codes shared by the server, its acks and HTTP answers, and the clients.
import { z } from 'zod';

export const ErrorCode = {
  /** The payload did not match its schema. */
  BadRequest: 'bad_request',
  /** Not logged in (or the session expired). */
  Unauthorized: 'unauthorized',
  /** The caller may not do this (wrong call, feature disabled, ...). */
  Forbidden: 'forbidden',
  /** The thing named does not exist (or no longer does). */
  NotFound: 'not_found',
  /** Too many requests from this source; retry later. */
  RateLimited: 'rate_limited',
  /** The media server cannot serve the request right now (no live worker, ...). */
  MediaUnavailable: 'media_unavailable',
  /** The upload is not of a kind this accepts (a voice message that is not Ogg/Opus). */
  UnsupportedMedia: 'unsupported_media',
  /** A new password is too easy to guess (a common password, a pattern, the person's name). */
  WeakPassword: 'weak_password',
  /**
   * The request conflicts with the current state (an address already confirmed,
   * a call no longer ringing, ...).
   */
  Conflict: 'conflict',
  /** A password reset link that is unknown, already used or expired. */
  InvalidToken: 'invalid_token',
  /** The current password given to change it (or to confirm an action) is wrong. */
  WrongPassword: 'wrong_password',
  /** A group call already has as many participants as it can take. */
  CallFull: 'call_full',
  /** Something failed on the server; it has been logged. */
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCodeSchema = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

export const voxErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
});

export type VoxError = z.infer<typeof voxErrorSchema>;

/** The body of every HTTP error answer. */
export interface ErrorBody {
  error: VoxError;
}

// Bearer tokens (sessions, reply links): random, base64url, stored only as hashes.
import { createHash, randomBytes } from 'node:crypto';

/** 16 bytes = 128 random bits = 22 base64url characters. */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 is enough here: tokens carry 128+ random bits, nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

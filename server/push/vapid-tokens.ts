// The VAPID `Authorization` header (RFC 8292) for each push service, made
// once and reused until it nears its expiry. web-push signs a new ES256 JWT
// for every message when given vapidDetails: most of what preparing a push
// cost on the server's event loop (bench/push), and a push service accepts
// the same token for as long as it is valid. The header is made by web-push's
// own getVapidHeaders (no JWT code of ours); the sender passes it to
// sendNotification in `headers`, without vapidDetails.
import webpush from 'web-push';
import type { VapidKeys } from './push-config.js';

export interface VapidTokenOptions {
  /** How long a token is valid (its `exp`); RFC 8292 allows at most 24 h. */
  lifetimeSeconds: number;
  /** A token with less than this left is replaced by a new one. */
  renewBeforeSeconds: number;
  /** Push services remembered; past it the least recently used is forgotten. */
  maxOrigins: number;
  /** The clock, in ms since the epoch (tests move it). */
  now: () => number;
}

export const DEFAULT_VAPID_TOKEN_OPTIONS: VapidTokenOptions = {
  lifetimeSeconds: 12 * 3600,
  renewBeforeSeconds: 3600,
  // Browsers' push services are a handful of origins; the bound is against
  // endpoints on many hosts (subscriptions are stored from what desks send).
  maxOrigins: 1000,
  now: Date.now,
};

interface Token {
  authorization: string;
  /** The JWT's `exp`, seconds since the epoch. */
  expires: number;
}

export class VapidTokens {
  readonly #vapid: VapidKeys & { subject: string };
  readonly #options: VapidTokenOptions;
  /** By audience, least recently used first (a Map keeps insertion order). */
  readonly #tokens = new Map<string, Token>();

  constructor(vapid: VapidKeys & { subject: string }, options: Partial<VapidTokenOptions> = {}) {
    this.#vapid = vapid;
    this.#options = { ...DEFAULT_VAPID_TOKEN_OPTIONS, ...options };
  }

  /** `vapid t=<JWT>, k=<public key>` for pushes to `audience` (a push service's origin). */
  authorization(audience: string): string {
    const now = Math.floor(this.#options.now() / 1000);
    const kept = this.#tokens.get(audience);
    this.#tokens.delete(audience);
    const token =
      kept && kept.expires - now >= this.#options.renewBeforeSeconds
        ? kept
        : this.#make(audience, now);
    this.#tokens.set(audience, token);
    if (this.#tokens.size > this.#options.maxOrigins) {
      const oldest = this.#tokens.keys().next();
      if (!oldest.done) this.#tokens.delete(oldest.value);
    }
    return token.authorization;
  }

  /** Push services with a token kept (tests; metrics). */
  get size(): number {
    return this.#tokens.size;
  }

  #make(audience: string, now: number): Token {
    const expires = now + this.#options.lifetimeSeconds;
    const { subject, publicKey, privateKey } = this.#vapid;
    const headers = webpush.getVapidHeaders(
      audience,
      subject,
      publicKey,
      privateKey,
      // The encoding the sender uses: its header is `vapid t=..., k=...` alone
      // (aesgcm's would need a Crypto-Key header as well).
      'aes128gcm',
      expires,
    );
    return { authorization: headers.Authorization, expires };
  }
}

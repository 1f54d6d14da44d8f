// Limits on what strangers can reach: sign-up, log-in, starting calls. In
// memory per node (rate-limiter-flexible also has a Redis store for many nodes).
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { clientKey } from './client-key.js';
import { PasswordChecks } from './password-checks.js';

export class RateLimits {
  readonly signUpPerIp: RateLimiterMemory;
  readonly logInPerIp: RateLimiterMemory;
  readonly passwordResetPerIp: RateLimiterMemory;
  readonly callStartPerIp: RateLimiterMemory;
  readonly callStartPerLink: RateLimiterMemory;
  readonly callResumePerIp: RateLimiterMemory;
  readonly keypadPerSocket: RateLimiterMemory;
  readonly relayAuthPerIp: RateLimiterMemory;
  readonly relayMessagesPerAccount: RateLimiterMemory;
  readonly voicemailPerIp: RateLimiterMemory;
  readonly chatPerSocket: RateLimiterMemory;
  readonly chatPerLink: RateLimiterMemory;
  readonly voicemailPerLink: RateLimiterMemory;
  readonly groupWatchPerIp: RateLimiterMemory;
  /** Password checks in flight, per client address and overall (HTTP and relay share the pool). */
  readonly passwordChecks = new PasswordChecks();
  readonly linkLookupPerIp: RateLimiterMemory;
  readonly badgePerIp: RateLimiterMemory;
  /** The limiters keyed by client address: their keys go through clientKey (an IPv6 /64 is one client). */
  readonly #perAddress = new WeakSet<RateLimiterMemory>();

  /** `multiplier` scales every allowance (RATE_LIMIT_MULTIPLIER). */
  constructor(multiplier = 1) {
    const limiter = (points: number, duration: number) =>
      new RateLimiterMemory({ points: Math.max(1, Math.round(points * multiplier)), duration });
    const perAddress = (points: number, duration: number) => {
      const made = limiter(points, duration);
      this.#perAddress.add(made);
      return made;
    };
    this.signUpPerIp = perAddress(5, 600);
    this.logInPerIp = perAddress(10, 60);
    // "Forgot password?" asks, and reset links used (each mail also counts per address mailed).
    this.passwordResetPerIp = perAddress(5, 600);
    this.callStartPerIp = perAddress(10, 60);
    this.callStartPerLink = limiter(6, 60);
    // A node dies: every call of an office behind one address resumes at once.
    this.callResumePerIp = perAddress(120, 60);
    // A person presses a few keys a second; each request may carry 20.
    this.keypadPerSocket = limiter(10, 1);
    // Failed relay log-ins only: an office of senders behind one address logs in often.
    this.relayAuthPerIp = perAddress(20, 60);
    this.relayMessagesPerAccount = limiter(300, 3600);
    // A caller re-records and retries a few times; a flood is someone else.
    this.voicemailPerIp = perAddress(20, 600);
    this.voicemailPerLink = limiter(10, 600);
    // People type a message every few seconds; a burst of 20 is already a lot.
    this.chatPerSocket = limiter(20, 30);
    // Callers on one link, however many sockets they open.
    this.chatPerLink = limiter(60, 600);
    // A reply page asks once per load (and again after a reconnect).
    this.groupWatchPerIp = perAddress(30, 60);
    // Reply pages and their link lookups (/r/ and /api/reply/, two per page load):
    // an office opening links behind one address stays far below; guessing does not.
    this.linkLookupPerIp = perAddress(120, 60);
    // Status badges (/b/): one per message a mail client shows, and webmail image
    // proxies fetch them for many readers from few addresses.
    this.badgePerIp = perAddress(600, 60);
  }

  /**
   * For limits spent only on failures: takes a point before the attempt (false
   * when none is left), so attempts started together cannot all pass a check
   * made before any of them failed. `refund` gives it back on success.
   */
  async reserve(limiter: RateLimiterMemory, key: string): Promise<boolean> {
    try {
      await limiter.consume(this.#key(limiter, key));
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return false;
    }
  }

  async refund(limiter: RateLimiterMemory, key: string): Promise<void> {
    await limiter.reward(this.#key(limiter, key), 1);
  }

  /** Spends one point, or throws `rate_limited` saying when to retry. */
  async take(limiter: RateLimiterMemory, key: string): Promise<void> {
    try {
      await limiter.consume(this.#key(limiter, key));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.ceil(rejection.msBeforeNext / 1000);
      throw new RequestError(ErrorCode.RateLimited, `too many attempts; try again in ${seconds} s`);
    }
  }

  /**
   * Callers pass the address as they have it (request.ip, the socket's client
   * address); keying here keeps the /64 rule in one place for all of them.
   */
  #key(limiter: RateLimiterMemory, key: string): string {
    return this.#perAddress.has(limiter) ? clientKey(key) : key;
  }
}

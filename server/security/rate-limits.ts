// Limits on what strangers can reach: sign-up, log-in, starting calls. In
// memory per node (rate-limiter-flexible also has a Redis store for many nodes).
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../realtime/validated-handler.js';

export class RateLimits {
  readonly signUpPerIp: RateLimiterMemory;
  readonly logInPerIp: RateLimiterMemory;
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

  /** `multiplier` scales every allowance (RATE_LIMIT_MULTIPLIER). */
  constructor(multiplier = 1) {
    const limiter = (points: number, duration: number) =>
      new RateLimiterMemory({ points: Math.max(1, Math.round(points * multiplier)), duration });
    this.signUpPerIp = limiter(5, 600);
    this.logInPerIp = limiter(10, 60);
    this.callStartPerIp = limiter(10, 60);
    this.callStartPerLink = limiter(6, 60);
    // A node dies: every call of an office behind one address resumes at once.
    this.callResumePerIp = limiter(120, 60);
    // A person presses a few keys a second; each request may carry 20.
    this.keypadPerSocket = limiter(10, 1);
    // Failed relay log-ins only: an office of senders behind one address logs in often.
    this.relayAuthPerIp = limiter(20, 60);
    this.relayMessagesPerAccount = limiter(300, 3600);
    // A caller re-records and retries a few times; a flood is someone else.
    this.voicemailPerIp = limiter(20, 600);
    this.voicemailPerLink = limiter(10, 600);
    // People type a message every few seconds; a burst of 20 is already a lot.
    this.chatPerSocket = limiter(20, 30);
    // Callers on one link, however many sockets they open.
    this.chatPerLink = limiter(60, 600);
    // A reply page asks once per load (and again after a reconnect).
    this.groupWatchPerIp = limiter(30, 60);
  }

  /** Whether `key` has no points left (for limits spent only on failures). */
  async exhausted(limiter: RateLimiterMemory, key: string): Promise<boolean> {
    const state = await limiter.get(key);
    return state !== null && state.consumedPoints >= limiter.points;
  }

  /** Spends one point on a failure; running out is what `exhausted` reports next time. */
  async spendOnFailure(limiter: RateLimiterMemory, key: string): Promise<void> {
    await limiter.consume(key).catch((rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    });
  }

  /** Spends one point, or throws `rate_limited` saying when to retry. */
  async take(limiter: RateLimiterMemory, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.ceil(rejection.msBeforeNext / 1000);
      throw new RequestError(ErrorCode.RateLimited, `too many attempts; try again in ${seconds} s`);
    }
  }
}

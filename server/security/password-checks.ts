// Bounds on password checks (scrypt, ~100 ms of a libuv pool thread each).
// Unbounded, 200 AUTH commands sent at once from one address were all checked
// and held the pool for 12 s, so a log-in from anyone else waited as long
// (issue 16). Per key (a client address) only a few checks may be in flight;
// the rest are refused at once. Overall, checks wait their turn for a few
// slots, leaving pool threads for everything else that uses them.
import { clientKey } from './client-key.js';
import { DECOY_HASH, verifyPassword } from './password.js';

/** Thrown when a key already has its share of checks in flight. */
export class TooManyChecksError extends Error {
  constructor() {
    super('too many password checks in flight for this client');
    this.name = 'TooManyChecksError';
  }
}

export interface PasswordChecksOptions {
  /** Checks one client address may have in flight. */
  perKey: number;
  /** Checks running at once across all clients (the pool has 4 threads by default: one stays free). */
  concurrent: number;
  /** Checks waiting for a slot; past this a check is refused like a busy key. */
  queued: number;
}

export class PasswordChecks {
  readonly #options: PasswordChecksOptions;
  readonly #inFlight = new Map<string, number>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(options: PasswordChecksOptions = { perKey: 3, concurrent: 3, queued: 100 }) {
    this.#options = options;
  }

  /**
   * Runs `work` (which hashes) for a client address. Its slot is taken before the
   * first await, so checks started in the same tick cannot all pass the bound.
   */
  async run<T>(address: string, work: () => Promise<T>): Promise<T> {
    // One IPv6 /64 is one client: its other addresses are no fresh share.
    const key = clientKey(address);
    const mine = this.#inFlight.get(key) ?? 0;
    if (mine >= this.#options.perKey || this.#waiting.length >= this.#options.queued)
      throw new TooManyChecksError();
    this.#inFlight.set(key, mine + 1);
    try {
      await this.#slot();
      try {
        return await work();
      } finally {
        this.#release();
      }
    } finally {
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
    }
  }

  #slot(): Promise<void> {
    if (this.#running < this.#options.concurrent) {
      this.#running += 1;
      return Promise.resolve();
    }
    // The releasing check hands its slot over: #running stays as it is.
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running -= 1;
  }
}

/**
 * The password against every candidate's hash, or against a throwaway hash when
 * there is none: an unknown address costs the same scrypt work as a known one.
 * Candidates are checked side by side, so one more account on an address adds
 * pool time but little waiting.
 */
export async function matchPassword<T extends { passwordHash: string }>(
  password: string,
  candidates: readonly T[],
): Promise<T | undefined> {
  if (candidates.length === 0) {
    await verifyPassword(password, DECOY_HASH);
    return undefined;
  }
  const results = await Promise.all(
    candidates.map((candidate) => verifyPassword(password, candidate.passwordHash)),
  );
  return candidates[results.indexOf(true)];
}

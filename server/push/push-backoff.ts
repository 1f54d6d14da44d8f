// Push services that asked us to slow down (429, or 503 with Retry-After):
// nothing is sent to that service until its Retry-After has passed, bounded
// so that a service cannot silence rings for long. Rings are worth seconds:
// what would be sent meanwhile is dropped, not kept for later.

export interface BackoffLimits {
  /** When the service names no (usable) Retry-After. */
  defaultMs: number;
  /** The longest pause a service can ask for. */
  maxMs: number;
}

/** Past this many services paused at once, the ones whose pause ended are forgotten. */
const PRUNE_ABOVE = 1000;

export class PushServiceBackoff {
  readonly #limits: BackoffLimits;
  /** Push service origin -> epoch ms until which it is left alone. */
  readonly #until = new Map<string, number>();

  constructor(limits: BackoffLimits) {
    this.#limits = limits;
  }

  /** Whether sends to this push service (origin) are paused now. */
  paused(origin: string, now = Date.now()): boolean {
    const until = this.#until.get(origin);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#until.delete(origin);
    return false;
  }

  /** Pauses the service per its Retry-After header; returns the pause in ms. */
  pause(origin: string, retryAfter: string | undefined, now = Date.now()): number {
    const asked = retryAfterMs(retryAfter, now) ?? this.#limits.defaultMs;
    const ms = Math.min(this.#limits.maxMs, Math.max(1000, asked));
    this.#until.set(origin, Math.max(this.#until.get(origin) ?? 0, now + ms));
    if (this.#until.size > PRUNE_ABOVE) {
      for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
    }
    return ms;
  }
}

/** Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date; undefined if neither. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

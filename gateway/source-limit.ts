// How many new requests the gateway takes from a set of sources: per source
// and in all, in one-second windows. Synchronous, because the SIP stack asks
// before it makes a transaction (a refused request must leave nothing
// behind), and bounded: a source is remembered only while its requests are
// admitted, and at most `total` are admitted in a window, so a flood from
// spoofed addresses cannot grow the table either.

const WINDOW_MS = 1000;

export interface SourceLimitOptions {
  /** New requests a second from one source. */
  perSource: number;
  /** New requests a second from all sources together (default: no such limit). */
  total?: number;
}

export class SourceLimit {
  readonly #options: Required<SourceLimitOptions>;
  #counts = new Map<string, number>();
  #admitted = 0;
  #windowStart = 0;

  constructor(options: SourceLimitOptions) {
    this.#options = {
      perSource: options.perSource,
      total: options.total ?? Number.POSITIVE_INFINITY,
    };
  }

  /** Counts one request from `source`; false when it is over either limit. */
  admit(source: string, now = Date.now()): boolean {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#counts = new Map();
      this.#admitted = 0;
    }
    const count = this.#counts.get(source) ?? 0;
    if (count >= this.#options.perSource || this.#admitted >= this.#options.total) return false;
    this.#counts.set(source, count + 1);
    this.#admitted += 1;
    return true;
  }
}

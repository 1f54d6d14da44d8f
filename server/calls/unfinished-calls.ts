// Ends the records that no node will end: calls whose node died (or this
// node, before a restart) and that no page resumed (ADR 016). Every node
// looks once a minute at calls started over a minute ago without an end; a
// call that no node runs any more (the call directory has no entry: its
// node's entries expire 30 s after it died) is ended now — "answered" if it
// was, "missed" if it was still ringing (the sender should know someone
// tried). Several nodes may look at once: only one write ends each record.
import type { Logger } from '../logger.js';
import type { CallStore, UnfinishedCall } from '../store/call-store.js';
import type { CallDirectory } from './call-directory.js';

const SWEEP_MS = 60_000;
/** Older than any call being set up, and than a dead node's directory entries. */
const MIN_AGE_MS = 60_000;
const BATCH = 100;

export interface UnfinishedCallsDeps {
  calls: CallStore;
  directory: CallDirectory;
  /** Whether this node runs the call (its entry may be briefly missing after a Redis restart). */
  runsHere: (callId: string) => boolean;
  /** Records read at a time (100). */
  batch?: number;
  logger: Logger;
}

export class UnfinishedCalls {
  readonly #deps: UnfinishedCallsDeps;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;

  constructor(deps: UnfinishedCallsDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'unfinished-calls' });
    this.#timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.#timer.unref();
  }

  /** Ends the unfinished records no node runs; returns how many it ended. */
  async sweep(now = new Date()): Promise<number> {
    const { calls } = this.#deps;
    const before = new Date(now.getTime() - MIN_AGE_MS);
    let ended = 0;
    try {
      // Page by page: live calls at the front must not hide the dead ones behind them.
      const batch = this.#deps.batch ?? BATCH;
      let page = await calls.unfinished(before, batch);
      while (page.length > 0) {
        for (const call of page) if (await this.#end(call, now)) ended += 1;
        page = page.length < batch ? [] : await calls.unfinished(before, batch, page.at(-1));
      }
    } catch (error) {
      this.#log.error({ err: error }, 'could not look for unfinished call records');
    }
    return ended;
  }

  /** Ends one record if no node runs its call; whether this did. */
  async #end(call: UnfinishedCall, now: Date): Promise<boolean> {
    const { calls, directory, runsHere } = this.#deps;
    if (runsHere(call.id) || (await directory.owner(call.id)) !== undefined) return false;
    const outcome = call.answered ? 'answered' : 'missed';
    const ended = await calls.endedIfOpen(call.id, { outcome, endedAt: now });
    if (ended)
      this.#log.warn({ callId: call.id, outcome }, 'ended the record of a call no node runs');
    return ended;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

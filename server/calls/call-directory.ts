// Which node runs each live call, and which senders are talking right now.
// A call lives on the node its caller reached; a desk app connected to
// another node finds it here and has its requests forwarded there. One node
// keeps this in memory; several keep it in Redis (server/cluster/).
// Both pass test/calls/live-state.contract.test.ts.
//
// Each entry also holds the call's snapshot: when its node dies, the node
// its caller reconnects to takes the call over from it (ADR 016).
import type { CallSnapshot } from '../../protocol/cluster.js';

export interface CallDirectory {
  /**
   * This node runs the call; false (nothing changed) if the id is taken
   * already. `snapshot`: what another node needs to take it over.
   */
  open(callId: string, accountId: number, snapshot?: CallSnapshot): Promise<boolean>;
  /** The call was answered: its sender is busy until it closes (`snapshot`: by whom). */
  answered(callId: string, snapshot?: CallSnapshot): Promise<void>;
  /** The call ended; only the node running it may close it. */
  close(callId: string): Promise<void>;
  /** The node running the call, if it is live. */
  owner(callId: string): Promise<string | undefined>;
  /** The node running the call and what it wrote for a takeover, if it is live. */
  entry(callId: string): Promise<{ node: string; snapshot: CallSnapshot | undefined } | undefined>;
  /**
   * This node takes the call over from `from` (which died); false if `from`
   * no longer runs it (another node took it first, or it ended).
   */
  takeOver(callId: string, from: string, snapshot: CallSnapshot): Promise<boolean>;
  /** The sender is in an answered call on some node. */
  busy(accountId: number): Promise<boolean>;
  /**
   * Tells this node that another took over one of its calls (it stalled long
   * enough to be taken for dead): it must let the call go without a word.
   */
  onLost(handler: (callId: string) => void): void;
  /** Stops refreshing (a node's entries then expire). */
  stop(): void;
}

export interface DirectoryEntry {
  node: string;
  accountId: number;
  answered: boolean;
  snapshot: CallSnapshot | undefined;
}

/** The single-node directory; `shared` lets a test give several "nodes" one memory. */
export class MemoryCallDirectory implements CallDirectory {
  readonly #node: string;
  readonly #calls: Map<string, DirectoryEntry>;

  constructor(node = 'local', shared = new Map<string, DirectoryEntry>()) {
    this.#node = node;
    this.#calls = shared;
  }

  open(callId: string, accountId: number, snapshot?: CallSnapshot): Promise<boolean> {
    if (this.#calls.has(callId)) return Promise.resolve(false);
    this.#calls.set(callId, { node: this.#node, accountId, answered: false, snapshot });
    return Promise.resolve(true);
  }

  answered(callId: string, snapshot?: CallSnapshot): Promise<void> {
    const entry = this.#calls.get(callId);
    if (entry?.node === this.#node) {
      entry.answered = true;
      if (snapshot) entry.snapshot = snapshot;
    }
    return Promise.resolve();
  }

  close(callId: string): Promise<void> {
    if (this.#calls.get(callId)?.node === this.#node) this.#calls.delete(callId);
    return Promise.resolve();
  }

  owner(callId: string): Promise<string | undefined> {
    return Promise.resolve(this.#calls.get(callId)?.node);
  }

  entry(callId: string): Promise<{ node: string; snapshot: CallSnapshot | undefined } | undefined> {
    const entry = this.#calls.get(callId);
    return Promise.resolve(entry && { node: entry.node, snapshot: entry.snapshot });
  }

  takeOver(callId: string, from: string, snapshot: CallSnapshot): Promise<boolean> {
    const entry = this.#calls.get(callId);
    if (entry?.node !== from) return Promise.resolve(false);
    entry.node = this.#node;
    entry.snapshot = snapshot;
    return Promise.resolve(true);
  }

  busy(accountId: number): Promise<boolean> {
    return Promise.resolve(
      [...this.#calls.values()].some((entry) => entry.accountId === accountId && entry.answered),
    );
  }

  /** One process never stalls behind its own back: nothing is ever lost. */
  onLost(): void {}

  stop(): void {}
}

// The sender's status as it changes, for reply pages that stay open (issue
// 19, part 2). Recomputed, across every node's devices and calls, when
// something that decides it moves: a device joins or leaves (any node), a
// device goes active or idle (this node's beats: only transitions, never
// each beat), a call of the sender is answered or ends (busy-changes.ts),
// the sender's settings change, and when an available sender's last input
// grows old enough to make them away. Triggers within STATUS_SETTLE_MS make
// one computation, so a burst (a page reload, many tabs) is one update.
// Whoever listens (server/realtime/status-handlers.ts) publishes it to the
// sender's status channel, which reaches pages on every node.
import { EventEmitter } from 'node:events';
import type { SenderStatus } from '../../protocol/accounts.js';
import type { Logger } from '../logger.js';
import type { AccountStore } from '../store/account-store.js';
import { senderStatusOf, type DeviceDirectory } from './device-directory.js';
import type { Presence } from './presence.js';

/** Triggers this close together make one computation. */
export const STATUS_SETTLE_MS = 200;
/** Accounts whose last status is remembered. */
const MAX_REMEMBERED = 10_000;
/** Re-checked this long after the moment an available sender turns away. */
const AWAY_MARGIN_MS = 500;

export interface StatusChange {
  accountId: number;
  senderName: string;
  status: SenderStatus;
  /** What reply pages may see: null while the sender hides their status. */
  shown: SenderStatus | null;
}

export interface StatusFeedEvents {
  status: [change: StatusChange];
}

export interface StatusFeedSources {
  accounts: Pick<AccountStore, 'findById'>;
  devices: DeviceDirectory;
  presence: Presence;
  calls: { busy(accountId: number): Promise<boolean> };
  logger: Logger;
}

export class StatusFeed extends EventEmitter<StatusFeedEvents> {
  readonly #sources: StatusFeedSources;
  readonly #log: Logger;
  /** Computations waiting for their burst to settle, by account. */
  readonly #settling = new Map<number, NodeJS.Timeout>();
  /** When an available sender turns away, by account (one timer each). */
  readonly #awayChecks = new Map<number, NodeJS.Timeout>();
  /**
   * What was last said of each account, so that only changes are said: a
   * recomputation that finds the same says nothing (a sender who hides their
   * status must not be seen through when the page hears from us). Bounded:
   * the least recently changed are forgotten (and said again next time).
   */
  readonly #last = new Map<number, string>();
  #closed = false;

  constructor(sources: StatusFeedSources) {
    super();
    this.#sources = sources;
    this.#log = sources.logger.child({ component: 'status-feed' });
    const changed = (accountId: number): void => this.changed(accountId);
    sources.presence.on('changed', changed);
    sources.devices.on('deviceJoined', changed);
    sources.devices.on('deviceLeft', changed);
  }

  /** Something that may change the sender's status happened: recompute soon. */
  changed(accountId: number): void {
    if (this.#closed || this.#settling.has(accountId)) return;
    const timer = setTimeout(() => {
      this.#settling.delete(accountId);
      void this.#compute(accountId);
    }, STATUS_SETTLE_MS);
    timer.unref();
    this.#settling.set(accountId, timer);
  }

  close(): void {
    this.#closed = true;
    for (const timer of [...this.#settling.values(), ...this.#awayChecks.values()])
      clearTimeout(timer);
    this.#settling.clear();
    this.#awayChecks.clear();
  }

  async #compute(accountId: number): Promise<void> {
    const { accounts, devices, calls } = this.#sources;
    try {
      const [account, connected, busy] = await Promise.all([
        accounts.findById(accountId),
        devices.connectedActivities(accountId),
        calls.busy(accountId),
      ]);
      if (!account || this.#closed) return;
      const now = Date.now();
      const status = senderStatusOf(connected, account.settings, busy, now);
      clearTimeout(this.#awayChecks.get(accountId));
      this.#awayChecks.delete(accountId);
      if (status === 'available') {
        const lastInput = Math.max(...connected.map((device) => device.lastInputAt ?? 0));
        const awayAt = lastInput + account.settings.awayAfterMinutes * 60_000;
        const timer = setTimeout(
          () => {
            this.#awayChecks.delete(accountId);
            this.changed(accountId);
          },
          Math.max(0, awayAt - now) + AWAY_MARGIN_MS,
        );
        timer.unref();
        this.#awayChecks.set(accountId, timer);
      }
      const shown = account.settings.showStatus ? status : null;
      const said = `${status}/${shown}`;
      if (this.#last.get(accountId) === said) return;
      this.#last.delete(accountId);
      this.#last.set(accountId, said);
      if (this.#last.size > MAX_REMEMBERED) this.#last.delete(this.#last.keys().next().value ?? 0);
      this.#log.debug({ accountId, status }, 'sender status');
      this.emit('status', { accountId, senderName: account.displayName, status, shown });
    } catch (error) {
      this.#log.warn({ err: error, accountId }, 'could not compute a sender status');
    }
  }
}

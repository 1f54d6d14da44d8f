// Trunk health: whether calls may go through a trunk now. One source of truth
// per trunk, so the two never fight (a ping saying "up" a second after a 503
// said "down"):
//
//  - pinged (optionsIntervalSeconds > 0): OPTIONS decides (RFC 3261 section
//    11); INVITE results are ignored, the next ping corrects any state.
//  - never pinged (optionsIntervalSeconds 0: carriers that ignore OPTIONS):
//    up from the start, then judged by its answers to our INVITEs.
//
//    pinged:      unknown ──an answer <500 from the trunk──> up
//                 unknown, up ──5xx/6xx, the stack's own 408 (silence), no answer in 5 s──> down
//                 down ──an answer <500 from the trunk──> up
//
//    not pinged:  (start) ──> up
//                 up ──trunkResult(false): 5xx, silence, the stack's own 408──> down
//                 down ──trunkResult(false)──> down (the hold-down starts again)
//                 down ──HOLD_DOWN_MS pass──> up (tried again by the next call)
//                 up, down ──trunkResult(true): any other end (the trunk answered)──> up
//
// Only unknown and down count as "not up": calls skip the trunk. Every change
// of up/down is a 'changed' event (metrics and logs follow it).
import { EventEmitter } from 'node:events';
import type { SipStack } from './sip-stack.js';
import { generateBranch, randomSipToken } from './npm-sip-stack.js';
import type { Trunk } from './trunks.js';

export interface TrunkMonitorEvents {
  changed: [trunk: string, up: boolean];
}

type TrunkState = 'unknown' | 'up' | 'down';

/** A healthy carrier answers OPTIONS in well under a second. */
const ANSWER_TIMEOUT_MS = 5_000;

/**
 * How long a never-pinged trunk stays down after a failed INVITE. Without
 * pings only a call can find out that it works again, so a down trunk must
 * come back on its own: a minute spares the calls meanwhile (a silent trunk
 * costs each caller 4 s of dead air before the next trunk is tried), and a
 * carrier that was only restarting or briefly full is back in use soon.
 */
export const HOLD_DOWN_MS = 60_000;

export class TrunkMonitor extends EventEmitter<TrunkMonitorEvents> {
  readonly #stack: SipStack;
  readonly #trunks: Trunk[];
  readonly #states = new Map<string, TrunkState>();
  readonly #timers: NodeJS.Timeout[] = [];
  /** Never-pinged trunks that are down: when each comes back up. */
  readonly #holdDowns = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(stack: SipStack, trunks: Trunk[]) {
    super();
    this.#stack = stack;
    this.#trunks = trunks;
    for (const trunk of trunks) this.#states.set(trunk.name, pinged(trunk) ? 'unknown' : 'up');
  }

  start(): void {
    for (const trunk of this.#trunks.filter(pinged)) {
      this.#ping(trunk);
      const timer = setInterval(() => this.#ping(trunk), trunk.optionsIntervalSeconds * 1000);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /** Unknown (not pinged yet) counts as down: calls try known-good trunks first. */
  isUp(trunk: string): boolean {
    return this.#states.get(trunk) === 'up';
  }

  /**
   * What an INVITE through `trunk` told about it: reachable (the carrier
   * answered anything but 5xx) or not (5xx, silence, the stack's timeout).
   * Counts only for trunks that are never pinged (the header says why).
   */
  trunkResult(trunk: string, reachable: boolean): void {
    const config = this.#trunks.find((t) => t.name === trunk);
    if (!config || pinged(config) || this.#closed) return;
    clearTimeout(this.#holdDowns.get(trunk));
    this.#holdDowns.delete(trunk);
    if (!reachable) {
      const holdDown = setTimeout(() => {
        this.#holdDowns.delete(trunk);
        this.#set(trunk, 'up');
      }, HOLD_DOWN_MS);
      holdDown.unref();
      this.#holdDowns.set(trunk, holdDown);
    }
    this.#set(trunk, reachable ? 'up' : 'down');
  }

  states(): { trunk: string; up: boolean }[] {
    return this.#trunks.map((t) => ({ trunk: t.name, up: this.isUp(t.name) }));
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const holdDown of this.#holdDowns.values()) clearTimeout(holdDown);
    this.#holdDowns.clear();
  }

  /** Moves a trunk to up or down; any change is news (unknown -> down too: a first verdict). */
  #set(trunk: string, state: 'up' | 'down'): void {
    if (this.#states.get(trunk) === state) return;
    this.#states.set(trunk, state);
    this.emit('changed', trunk, state === 'up');
  }

  #ping(trunk: Trunk): void {
    if (this.#closed) return;
    const target = `sip:${trunk.host}:${trunk.port};transport=${trunk.transport}`;
    let settled = false;
    const settle = (up: boolean): void => {
      if (settled || this.#closed) return;
      settled = true;
      clearTimeout(timeout);
      this.#set(trunk.name, up ? 'up' : 'down');
    };
    const timeout = setTimeout(() => settle(false), ANSWER_TIMEOUT_MS);
    const self = this.#stack.contact(trunk.transport);
    this.#stack.request(
      {
        method: 'OPTIONS',
        uri: target,
        headers: {
          to: { uri: target, params: {} },
          from: { uri: self, params: { tag: randomSipToken() } },
          'call-id': randomSipToken(12),
          cseq: { method: 'OPTIONS', seq: 1 },
          via: [{ params: { branch: generateBranch() } }],
          contact: [{ uri: self, params: {} }],
          'max-forwards': 70,
        },
      },
      (response, local) => {
        // The stack's own answer (a timeout): silence; 5xx/6xx: the trunk cannot take calls.
        if (response.status >= 200) settle(!local && response.status < 500);
      },
    );
  }
}

/** optionsIntervalSeconds 0: the carrier ignores OPTIONS, INVITE results judge it. */
function pinged(trunk: Trunk): boolean {
  return trunk.optionsIntervalSeconds > 0;
}

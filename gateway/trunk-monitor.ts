// Trunk health from OPTIONS pings (RFC 3261 section 11): any answer means the
// trunk is reachable; no final answer within the timeout, or 5xx/6xx, means
// it is down and calls skip it.
import { EventEmitter } from 'node:events';
import type { SipStack } from './sip-stack.js';
import { generateBranch, randomSipToken } from './npm-sip-stack.js';
import type { Trunk } from './trunks.js';

export interface TrunkMonitorEvents {
  changed: [trunk: string, up: boolean];
}

/** A healthy carrier answers OPTIONS in well under a second. */
const ANSWER_TIMEOUT_MS = 5_000;

export class TrunkMonitor extends EventEmitter<TrunkMonitorEvents> {
  readonly #stack: SipStack;
  readonly #trunks: Trunk[];
  readonly #up = new Map<string, boolean>();
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(stack: SipStack, trunks: Trunk[]) {
    super();
    this.#stack = stack;
    this.#trunks = trunks;
  }

  start(): void {
    for (const trunk of this.#trunks) {
      this.#ping(trunk);
      const timer = setInterval(() => this.#ping(trunk), trunk.optionsIntervalSeconds * 1000);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /** Unknown (not pinged yet) counts as down: calls try known-good trunks first. */
  isUp(trunk: string): boolean {
    return this.#up.get(trunk) ?? false;
  }

  states(): { trunk: string; up: boolean }[] {
    return this.#trunks.map((t) => ({ trunk: t.name, up: this.isUp(t.name) }));
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
  }

  #ping(trunk: Trunk): void {
    if (this.#closed) return;
    const target = `sip:${trunk.host}:${trunk.port};transport=${trunk.transport}`;
    let settled = false;
    const settle = (up: boolean): void => {
      if (settled || this.#closed) return;
      settled = true;
      clearTimeout(timeout);
      if (this.#up.get(trunk.name) !== up) {
        this.#up.set(trunk.name, up);
        this.emit('changed', trunk.name, up);
      }
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
      (response) => {
        // 408 is the stack's own timeout; 5xx/6xx: the trunk cannot take calls.
        if (response.status >= 200) settle(response.status < 500 && response.status !== 408);
      },
    );
  }
}

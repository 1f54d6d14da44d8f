// The one call a page takes part in, as an explicit state machine (house model:
// server/calls/ring-plan.ts). The reply page places and joins calls, the desk
// answers them; both keep their call here and change its state in one place,
// so "is this page in a call, and which?" has one answer, and a change nobody
// planned for is refused instead of quietly applied.
//
//   idle ── Call / Join pressed ──> placing ── call:start acked ──> ringing
//   placing ── call:join acked (the email's call is answered already) ──> connected
//   idle ── a call rings the desk ──> ringing ── Answer pressed ──> placing
//   placing ── call:answer acked ──> connected   (desk)
//   ringing ── answered ──> connected
//   ringing, connected ── connection or the call's node lost ──> reconnecting
//   reconnecting ── taken back (call:resume), still ringing ──> ringing
//   reconnecting ── taken back, answered ──> connected
//   placing, ringing, connected, reconnecting ── over (hung up, refused, failed, gave up) ──> ended
//   ended ── Call again / Join ──> placing
//   ended ── another call rings the desk ──> ringing
//
// Nothing goes back to idle (it is only where a page starts) and no state goes
// to itself: a second "connected" (a phone off hold) is news for the page, not
// a change of state.

export const CALL_STATES = [
  'idle',
  'placing',
  'ringing',
  'connected',
  'reconnecting',
  'ended',
] as const;

export type CallState = (typeof CALL_STATES)[number];

/** Where each state may go next: the arrows above. Anything else is refused. */
export const CALL_TRANSITIONS: { readonly [From in CallState]: readonly CallState[] } = {
  idle: ['placing', 'ringing'],
  placing: ['ringing', 'connected', 'ended'],
  ringing: ['placing', 'connected', 'reconnecting', 'ended'],
  connected: ['reconnecting', 'ended'],
  reconnecting: ['ringing', 'connected', 'ended'],
  ended: ['placing', 'ringing'],
};

/** Whether the table has an arrow from `from` to `to`. */
export function mayTransition(from: CallState, to: CallState): boolean {
  return CALL_TRANSITIONS[from].includes(to);
}

/** States that hold a call (the page's id, media session...); the others hold none. */
export type StateWithCall = 'ringing' | 'connected' | 'reconnecting';
export type StateWithoutCall = Exclude<CallState, StateWithCall>;

export interface CallStateChange<Call> {
  state: CallState;
  previous: CallState;
  /** The call in the new state; undefined in placing and ended. */
  call: Call | undefined;
  /** The call before the change: what to clean up when it ended. */
  previousCall: Call | undefined;
}

export interface RefusedTransition {
  from: CallState;
  to: CallState;
}

/** The events a controller emits, each with its listener's arguments. */
export interface CallControllerEvents<Call> {
  stateChanged: [change: CallStateChange<Call>];
  transitionRefused: [refused: RefusedTransition];
}

type Listener<Args extends unknown[]> = (...args: Args) => void;
type ListenerSets<Events extends { [E in keyof Events]: unknown[] }> = {
  [E in keyof Events]: Set<Listener<Events[E]>>;
};

export class CallController<Call> {
  #state: CallState = 'idle';
  #call: Call | undefined;
  readonly #listeners: ListenerSets<CallControllerEvents<Call>> = {
    stateChanged: new Set(),
    transitionRefused: new Set(),
  };

  get state(): CallState {
    return this.#state;
  }

  /** The call this page is in (ringing, connected, reconnecting). */
  get call(): Call | undefined {
    return this.#call;
  }

  /** On the way into a call or in one: a second Call, Join or Answer waits for the end. */
  get active(): boolean {
    return this.#state !== 'idle' && this.#state !== 'ended';
  }

  /** Listens for an event; the function returned stops listening. */
  on<E extends keyof CallControllerEvents<Call>>(
    event: E,
    listener: Listener<CallControllerEvents<Call>[E]>,
  ): () => void {
    const listeners: Set<Listener<CallControllerEvents<Call>[E]>> = this.#listeners[event];
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * The only place the state changes. Into a state that holds a call, `call`
   * replaces the one held (kept when not given); placing and ended hold none.
   * Returns false, changing nothing, when the table has no such arrow; the
   * transitionRefused listeners hear of it.
   */
  transition(to: StateWithoutCall): boolean;
  transition(to: StateWithCall, call?: Call): boolean;
  transition(to: CallState, call?: Call): boolean {
    const from = this.#state;
    if (!mayTransition(from, to)) {
      this.#emit('transitionRefused', { from, to });
      return false;
    }
    const previousCall = this.#call;
    this.#state = to;
    this.#call = holdsCall(to) ? (call ?? previousCall) : undefined;
    this.#emit('stateChanged', { state: to, previous: from, call: this.#call, previousCall });
    return true;
  }

  /**
   * Every listener hears every change, in order, even when one throws: its
   * error is rethrown on its own (the console, a test) rather than stopping
   * the change half told or reaching the code that made it.
   */
  #emit<E extends keyof CallControllerEvents<Call>>(
    event: E,
    ...args: CallControllerEvents<Call>[E]
  ): void {
    const listeners: Set<Listener<CallControllerEvents<Call>[E]>> = this.#listeners[event];
    for (const listener of [...listeners]) {
      try {
        listener(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function holdsCall(state: CallState): state is StateWithCall {
  return state === 'ringing' || state === 'connected' || state === 'reconnecting';
}

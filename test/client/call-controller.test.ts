// The pages' call state machine, in process: every pair of states is tried
// from a controller brought to the first one, and the table, the state, the
// call held and what the listeners hear must agree.
import { describe, expect, it } from 'vitest';
import {
  CALL_STATES,
  CALL_TRANSITIONS,
  CallController,
  mayTransition,
  type CallState,
  type CallStateChange,
  type RefusedTransition,
} from '../../client/shared/call-controller.js';

interface TestCall {
  id: string;
}

/** The arrows the file's diagram draws, written out again by hand. */
const ALLOWED: readonly (readonly [CallState, CallState])[] = [
  ['idle', 'placing'],
  ['idle', 'ringing'],
  ['placing', 'ringing'],
  ['placing', 'connected'],
  ['placing', 'ended'],
  ['ringing', 'placing'],
  ['ringing', 'connected'],
  ['ringing', 'reconnecting'],
  ['ringing', 'ended'],
  ['connected', 'reconnecting'],
  ['connected', 'ended'],
  ['reconnecting', 'ringing'],
  ['reconnecting', 'connected'],
  ['reconnecting', 'ended'],
  ['ended', 'placing'],
  ['ended', 'ringing'],
];

const allowed = (from: CallState, to: CallState): boolean =>
  ALLOWED.some(([a, b]) => a === from && b === to);

const PAIRS = CALL_STATES.flatMap((from) => CALL_STATES.map((to) => [from, to] as const));

/** The shortest way from idle to each state, through allowed arrows only. */
const PATH_TO: Record<CallState, readonly CallState[]> = {
  idle: [],
  placing: ['placing'],
  ringing: ['placing', 'ringing'],
  connected: ['placing', 'ringing', 'connected'],
  reconnecting: ['placing', 'ringing', 'reconnecting'],
  ended: ['placing', 'ended'],
};

const HOLDS_CALL: ReadonlySet<CallState> = new Set(['ringing', 'connected', 'reconnecting']);

/** A controller brought to `state`, holding `call` if that state holds one. */
function controllerIn(state: CallState, call: TestCall): CallController<TestCall> {
  const calls = new CallController<TestCall>();
  for (const step of PATH_TO[state]) {
    const moved =
      step === 'ringing' || step === 'connected' || step === 'reconnecting'
        ? calls.transition(step, call)
        : calls.transition(step);
    if (!moved) throw new Error(`cannot reach ${state}: ${step} refused`);
  }
  expect(calls.state).toBe(state);
  return calls;
}

/** Transitions with a new call where the target holds one, as the pages do. */
function move(calls: CallController<TestCall>, to: CallState, call: TestCall): boolean {
  return to === 'ringing' || to === 'connected' || to === 'reconnecting'
    ? calls.transition(to, call)
    : calls.transition(to);
}

function listen(calls: CallController<TestCall>) {
  const changes: CallStateChange<TestCall>[] = [];
  const refusals: RefusedTransition[] = [];
  calls.on('stateChanged', (change) => changes.push(change));
  calls.on('transitionRefused', (refused) => refusals.push(refused));
  return { changes, refusals };
}

describe('the call state table', () => {
  it('is the diagram: exactly the arrows drawn, nothing else', () => {
    for (const [from, to] of PAIRS) {
      expect(mayTransition(from, to), `${from} -> ${to}`).toBe(allowed(from, to));
    }
    const listed = CALL_STATES.flatMap((from) => CALL_TRANSITIONS[from].map((to) => [from, to]));
    expect(listed).toHaveLength(ALLOWED.length);
  });

  it('has no state going to itself, and nothing back to idle', () => {
    for (const state of CALL_STATES) {
      expect(mayTransition(state, state)).toBe(false);
      expect(mayTransition(state, 'idle')).toBe(false);
    }
  });

  it('reaches every state from idle', () => {
    const reached = new Set<CallState>(['idle']);
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, to] of ALLOWED) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...CALL_STATES].sort());
  });
});

describe('CallController', () => {
  it('starts idle, holding no call, not active', () => {
    const calls = new CallController<TestCall>();
    expect(calls.state).toBe('idle');
    expect(calls.call).toBeUndefined();
    expect(calls.active).toBe(false);
  });

  describe.each(PAIRS.filter(([from, to]) => allowed(from, to)))('allows %s -> %s', (from, to) => {
    it('changes the state and tells stateChanged listeners once', () => {
      const before = { id: 'before' };
      const after = { id: 'after' };
      const calls = controllerIn(from, before);
      const { changes, refusals } = listen(calls);

      expect(move(calls, to, after)).toBe(true);

      expect(calls.state).toBe(to);
      const held = HOLDS_CALL.has(to) ? after : undefined;
      expect(calls.call).toBe(held);
      expect(calls.active).toBe(to !== 'idle' && to !== 'ended');
      expect(changes).toEqual([
        {
          state: to,
          previous: from,
          call: held,
          previousCall: HOLDS_CALL.has(from) ? before : undefined,
        },
      ]);
      expect(refusals).toEqual([]);
    });
  });

  describe.each(PAIRS.filter(([from, to]) => !allowed(from, to)))(
    'refuses %s -> %s',
    (from, to) => {
      it('changes nothing and tells transitionRefused listeners', () => {
        const before = { id: 'before' };
        const calls = controllerIn(from, before);
        const { changes, refusals } = listen(calls);

        expect(move(calls, to, { id: 'after' })).toBe(false);

        expect(calls.state).toBe(from);
        expect(calls.call).toBe(HOLDS_CALL.has(from) ? before : undefined);
        expect(changes).toEqual([]);
        expect(refusals).toEqual([{ from, to }]);
      });
    },
  );

  it('keeps the call held when a transition gives none', () => {
    const call = { id: 'kept' };
    const calls = controllerIn('connected', call);
    expect(calls.transition('reconnecting')).toBe(true);
    expect(calls.call).toBe(call);
    expect(calls.transition('connected')).toBe(true);
    expect(calls.call).toBe(call);
  });

  it('drops the call on ended and hands it to listeners as previousCall', () => {
    const call = { id: 'over' };
    const calls = controllerIn('connected', call);
    const { changes } = listen(calls);
    calls.transition('ended');
    expect(calls.call).toBeUndefined();
    expect(changes.at(-1)?.previousCall).toBe(call);
  });

  it('tells every listener in order, and stops telling one that stopped listening', () => {
    const calls = new CallController<TestCall>();
    const heard: string[] = [];
    calls.on('stateChanged', ({ state }) => heard.push(`a:${state}`));
    const stop = calls.on('stateChanged', ({ state }) => heard.push(`b:${state}`));
    calls.transition('placing');
    stop();
    calls.transition('ended');
    expect(heard).toEqual(['a:placing', 'b:placing', 'a:ended']);
  });

  it('sees the new state from inside a listener', () => {
    const calls = new CallController<TestCall>();
    const seen: CallState[] = [];
    calls.on('stateChanged', () => seen.push(calls.state));
    calls.transition('placing');
    calls.transition('connected', { id: 'joined' });
    expect(seen).toEqual(['placing', 'connected']);
  });

  it('finishes a change when a listener throws, and rethrows the error on its own', async () => {
    const calls = new CallController<TestCall>();
    const heard: CallState[] = [];
    const boom = new Error('listener broke');
    calls.on('stateChanged', () => {
      throw boom;
    });
    calls.on('stateChanged', ({ state }) => heard.push(state));
    const rethrown = new Promise<unknown>((resolve) => {
      process.once('uncaughtException', resolve);
    });

    expect(calls.transition('placing')).toBe(true);

    expect(calls.state).toBe('placing');
    expect(heard).toEqual(['placing']);
    await expect(rethrown).resolves.toBe(boom);
  });
});

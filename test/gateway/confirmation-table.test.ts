// The confirmation table (gateway/confirmation-table.ts) walked transition by
// transition: every state against every event, in process.
import { describe, expect, it } from 'vitest';
import {
  confirmationResult,
  START,
  step,
  type ConfirmationEvent,
  type ConfirmationState,
} from '../../gateway/confirmation-table.js';

const EVENTS = {
  prompt_ready: { type: 'prompt_ready' },
  prompt_failed: { type: 'prompt_failed', why: 'espeak-ng missing' },
  prompt_done: { type: 'prompt_done' },
  key_1_rtp: { type: 'key', key: '1', via: 'rtp' },
  key_1_info: { type: 'key', key: '1', via: 'info' },
  key_5: { type: 'key', key: '5', via: 'rtp' },
  time_up: { type: 'time_up' },
  phone_hung_up: { type: 'phone_hung_up' },
  cancel: { type: 'cancel' },
} satisfies Record<string, ConfirmationEvent>;

const ANNOUNCING: ConfirmationState = { kind: 'announcing' };
const FINAL: ConfirmationState[] = [
  { kind: 'confirmed' },
  { kind: 'bridged', why: 'x' },
  { kind: 'declined', reason: { kind: 'no_key' } },
  { kind: 'cancelled' },
];

const types = (state: ConfirmationState, event: ConfirmationEvent): string[] =>
  step(state, event).effects.map((e) => e.type);

describe('the confirmation of a forwarded phone leg, as a table', () => {
  it('starts preparing; the announcement ready plays it, a failed one connects without asking', () => {
    expect(START).toEqual({ kind: 'preparing' });
    expect(step(START, EVENTS.prompt_ready)).toEqual({
      state: ANNOUNCING,
      effects: [{ type: 'play' }],
      accepted: true,
    });
    const failed = step(START, EVENTS.prompt_failed);
    expect(failed.state).toEqual({ kind: 'bridged', why: 'espeak-ng missing' });
    expect(types(START, EVENTS.prompt_failed)).toEqual(['stop', 'clear_timer', 'bridge']);
    expect(confirmationResult(failed.state)).toBe(
      'answered (not asked to press 1: espeak-ng missing)',
    );
  });

  it.each([
    ['preparing', START],
    ['announcing', ANNOUNCING],
  ])('while %s: key 1 (RTP or INFO) connects; anything else hangs up', (_, state) => {
    for (const key of [EVENTS.key_1_rtp, EVENTS.key_1_info]) {
      expect(step(state, key).state).toEqual({ kind: 'confirmed' });
      expect(types(state, key)).toEqual(['stop', 'clear_timer', 'bridge']);
    }
    const other = step(state, EVENTS.key_5);
    expect(other.state).toEqual({ kind: 'declined', reason: { kind: 'other_key', key: '5' } });
    expect(types(state, EVENTS.key_5)).toEqual(['stop', 'clear_timer', 'hang_up']);
    const late = step(state, EVENTS.time_up);
    expect(late.state).toEqual({ kind: 'declined', reason: { kind: 'no_key' } });
    expect(types(state, EVENTS.time_up)).toEqual(['stop', 'clear_timer', 'hang_up']);
    // The phone hung up itself: nothing to send it.
    const gone = step(state, EVENTS.phone_hung_up);
    expect(gone.state).toEqual({ kind: 'declined', reason: { kind: 'hung_up' } });
    expect(types(state, EVENTS.phone_hung_up)).toEqual(['stop', 'clear_timer']);
    const left = step(state, EVENTS.cancel);
    expect(left.state).toEqual({ kind: 'cancelled' });
    expect(types(state, EVENTS.cancel)).toEqual(['stop', 'clear_timer', 'hang_up']);
  });

  it('keeps waiting for a key when the announcement has played twice', () => {
    expect(step(ANNOUNCING, EVENTS.prompt_done)).toEqual({
      state: ANNOUNCING,
      effects: [],
      accepted: true,
    });
    expect(step(START, EVENTS.prompt_done).accepted).toBe(false);
    expect(step(ANNOUNCING, EVENTS.prompt_ready).accepted).toBe(false);
    expect(step(ANNOUNCING, EVENTS.prompt_failed).accepted).toBe(false);
  });

  it('refuses every event once settled, the state unchanged', () => {
    for (const state of FINAL) {
      for (const event of Object.values(EVENTS)) {
        expect(step(state, event)).toEqual({ state, effects: [], accepted: false });
      }
    }
  });

  it('says in the call history how each leg ended', () => {
    const results = [
      { kind: 'confirmed' },
      { kind: 'declined', reason: { kind: 'no_key' } },
      { kind: 'declined', reason: { kind: 'other_key', key: '#' } },
      { kind: 'declined', reason: { kind: 'hung_up' } },
      { kind: 'cancelled' },
      START,
    ].map((state) => confirmationResult(state as ConfirmationState));
    expect(results).toEqual([
      'confirmed by key 1',
      'not confirmed (voicemail?)',
      'not confirmed (key #)',
      'not confirmed (hung up)',
      'cancelled',
      undefined,
    ]);
  });
});

// Whether a person took a forwarded call (issue 19): a phone that answers is
// not connected to the caller until someone presses 1. Mobile mailboxes answer
// too; they never press 1. Pure: `step(state, event)` returns the next state
// and the effects for the shell (confirming-leg.ts) to carry out.
//
//   preparing ── prompt_ready ──> announcing                  [play]
//   preparing ── prompt_failed ──> bridged(unasked)           [bridge]   (fail open: logged)
//   preparing | announcing ── key 1 ──> confirmed             [stop, bridge]
//   preparing | announcing ── other key ──> declined(key)     [stop, hang_up]
//   preparing | announcing ── time_up (12 s) ──> declined(no_key)  [stop, hang_up]
//   preparing | announcing ── phone_hung_up ──> declined(hung_up)  [stop]
//   preparing | announcing ── cancel (the caller left) ──> cancelled [stop, hang_up]
//   announcing ── prompt_done ──> announcing (waits for a key until time_up)
//
// The timer runs from the answer (entering `preparing`); every final state
// clears it. Events that do not apply (a key after the end) change nothing
// and are reported as not accepted.

export type ConfirmationState =
  | { kind: 'preparing' }
  | { kind: 'announcing' }
  | { kind: 'confirmed' }
  /** The announcement could not be made: connected without asking (the old behaviour). */
  | { kind: 'bridged'; why: string }
  | { kind: 'declined'; reason: DeclineReason }
  | { kind: 'cancelled' };

export type DeclineReason =
  { kind: 'no_key' } | { kind: 'other_key'; key: string } | { kind: 'hung_up' };

export type ConfirmationEvent =
  | { type: 'prompt_ready' }
  | { type: 'prompt_failed'; why: string }
  | { type: 'prompt_done' }
  | { type: 'key'; key: string; via: 'rtp' | 'info' }
  | { type: 'time_up' }
  | { type: 'phone_hung_up' }
  | { type: 'cancel' };

export type ConfirmationEffect =
  | { type: 'play' }
  | { type: 'stop' }
  | { type: 'bridge' }
  | { type: 'hang_up' }
  | { type: 'clear_timer' };

export interface ConfirmationStep {
  state: ConfirmationState;
  effects: ConfirmationEffect[];
  accepted: boolean;
}

/** The key that takes the call. */
export const TAKE_KEY = '1';

/** How long the phone has to press it, from its answer. */
export const CONFIRM_TIMEOUT_MS = 12_000;

export const START: ConfirmationState = { kind: 'preparing' };

export function step(state: ConfirmationState, event: ConfirmationEvent): ConfirmationStep {
  const live = state.kind === 'preparing' || state.kind === 'announcing';
  if (!live) return { state, effects: [], accepted: false };
  const end = (next: ConfirmationState, ...effects: ConfirmationEffect[]): ConfirmationStep => ({
    state: next,
    effects: [{ type: 'stop' }, { type: 'clear_timer' }, ...effects],
    accepted: true,
  });
  switch (event.type) {
    case 'prompt_ready':
      return state.kind === 'preparing'
        ? { state: { kind: 'announcing' }, effects: [{ type: 'play' }], accepted: true }
        : { state, effects: [], accepted: false };
    case 'prompt_failed':
      return state.kind === 'preparing'
        ? end({ kind: 'bridged', why: event.why }, { type: 'bridge' })
        : { state, effects: [], accepted: false };
    case 'prompt_done':
      return { state, effects: [], accepted: state.kind === 'announcing' };
    case 'key':
      return event.key === TAKE_KEY
        ? end({ kind: 'confirmed' }, { type: 'bridge' })
        : end(
            { kind: 'declined', reason: { kind: 'other_key', key: event.key } },
            { type: 'hang_up' },
          );
    case 'time_up':
      return end({ kind: 'declined', reason: { kind: 'no_key' } }, { type: 'hang_up' });
    case 'phone_hung_up':
      return end({ kind: 'declined', reason: { kind: 'hung_up' } });
    case 'cancel':
      return end({ kind: 'cancelled' }, { type: 'hang_up' });
  }
}

/** What the call history says of a leg that ended here (its `result`). */
export function confirmationResult(state: ConfirmationState): string | undefined {
  switch (state.kind) {
    case 'confirmed':
      return 'confirmed by key 1';
    case 'bridged':
      return `answered (not asked to press 1: ${state.why})`;
    case 'declined':
      return state.reason.kind === 'no_key'
        ? 'not confirmed (voicemail?)'
        : state.reason.kind === 'other_key'
          ? `not confirmed (key ${state.reason.key})`
          : 'not confirmed (hung up)';
    case 'cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

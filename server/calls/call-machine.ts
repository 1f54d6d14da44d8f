// The whole life of one call as a table (docs/design.md, "The call"). Pure:
// it takes the call's state and an event and returns the next state and the
// effects the call code (call-orchestrator.ts and its parts) carries out.
// While the call rings, the ring plan (ring-plan.ts) decides; this table
// says what ringing leads to, and everything after.
//
//   ringing ── the ring plan: rings, stages, declines (ring-plan.ts) ──> ringing
//   ringing ── a ringing device answers ──> answered         [device_answered]
//   ringing ── a forwarded phone answers ──> on_phone        [clear_timers]
//   ringing ── nobody answered, declined, busy, unavailable ──> ended(missed | declined)
//   ringing ── hang_up (the caller, or the system) ──> ended(cancelled)
//   ringing ── hang_up(sender) ──> refused (nobody answered: no sender's side yet)
//   answered ── guest_joined ──> answered(guests + 1)
//   answered ── guest_left, someone still there ──> answered(guests - 1)   [announce]
//   answered ── guest_left, the last recipient ──> ended(answered)
//   answered ── hang_up(caller) while guests talk on ──> answered(caller gone)
//   answered ── hang_up(anyone else) ──> ended(answered)
//   on_phone ── phone_held ──> on_phone(held | not)
//   on_phone ── hang_up(caller | system) ──> ended(answered)  [hang_up_phone]
//   on_phone ── hang_up(sender: the phone hung up) ──> ended(answered)
//   ringing | answered ── room_lost ──> same state, room moving   [move_room]
//        (again while moving: the new room's worker died too)
//        ... unless a phone is bound to the room: as hang_up(system)
//   on_phone ── room_lost ──> as hang_up(system)
//   moving ── room_moved ──> room open;  moving ── move_failed ──> as hang_up(system)
//   any live state ── taken_over (another node runs it now) ──> handed_over   [release]
//   ended, handed_over: every event is refused.
//
// "A phone is bound to the room": a phone calls in (its RTP relay is tied to
// the room's transport), or the ring plan is forwarding to the sender's phone.
import type { CallOutcome } from '../../protocol/call.js';
import type { RankedDevice } from '../presence/ranking.js';
import {
  IDLE,
  transition as ringPlanTransition,
  type RingEffect,
  type RingPlanEvent,
  type RingPlanOutcome,
  type RingPlanState,
  type RingStage,
} from './ring-plan.js';

/** The call's media room: open, or being replaced after its worker died. */
export type RoomState = 'open' | 'moving';

export type Ringing = Extract<RingPlanState, { kind: 'ringing' }>;

export type CallState =
  | { kind: 'ringing'; plan: Ringing; room: RoomState }
  | {
      kind: 'answered';
      deviceId: string;
      /** The first caller is still in the call (in a group call the others may talk on). */
      callerPresent: boolean;
      /** Other recipients of the email who joined (group replies). */
      guests: number;
      room: RoomState;
    }
  | { kind: 'on_phone'; held: boolean }
  | { kind: 'ended'; outcome: CallOutcome }
  | { kind: 'handed_over' };

export type HangUpBy = 'caller' | 'sender' | 'system';

export type CallEvent =
  | Exclude<RingPlanEvent, { type: 'caller_hung_up' }>
  | { type: 'hang_up'; by: HangUpBy }
  | { type: 'guest_joined' }
  | { type: 'guest_left' }
  | { type: 'phone_held'; held: boolean }
  | { type: 'room_lost' }
  | { type: 'room_moved' }
  | { type: 'move_failed' }
  | { type: 'taken_over' };

export type CallEffect =
  | RingEffect
  /** A device took the call: its presence and record, the ring timers stop. */
  | { type: 'device_answered'; deviceId: string }
  | { type: 'clear_timers' }
  | { type: 'hang_up_phone' }
  /** The first caller leaves the room; the others talk on. */
  | { type: 'caller_leaves' }
  /** Everyone in the call, and the email's watching pages, hear who is in it. */
  | { type: 'announce' }
  /**
   * The answering device and the recipients in the call hear it ended;
   * `callerPresent`: whether the first caller was still in it (a caller who
   * left a group call heard its end already).
   */
  | { type: 'tell_ended'; by: HangUpBy; callerPresent: boolean }
  | { type: 'move_room' }
  /** The call is over: everyone leaves, the room closes, the record ends. */
  | { type: 'finish'; outcome: CallOutcome }
  /** Another node runs the call: only this node's timers and room go. */
  | { type: 'release' };

/** What the table needs to know of a call that does not change as it runs. */
export interface CallShape {
  stages: RingStage[];
  /** The devices that may ring now, best first. */
  candidates: () => RankedDevice[];
  /** Who placed it: a reply page, or a phone calling one of the sender's numbers. */
  caller: 'page' | 'phone';
}

export interface CallTransition {
  state: CallState;
  effects: CallEffect[];
  /** False when the event does not apply in this state (the state is unchanged). */
  accepted: boolean;
}

/** A new call, before its ring plan starts. */
export const NEW_CALL: CallState = { kind: 'ringing', plan: IDLE as Ringing, room: 'open' };

/** A call taken over from a node that died after it was answered (ADR 016). */
export function answeredState(deviceId: string): CallState {
  return { kind: 'answered', deviceId, callerPresent: true, guests: 0, room: 'open' };
}

export function transition(state: CallState, event: CallEvent, shape: CallShape): CallTransition {
  switch (state.kind) {
    case 'ringing':
      return whileRinging(state, event, shape);
    case 'answered':
      return whileAnswered(state, event, shape);
    case 'on_phone':
      return whileOnPhone(state, event);
    case 'ended':
    case 'handed_over':
      return refused(state);
  }
}

function whileRinging(
  state: Extract<CallState, { kind: 'ringing' }>,
  event: CallEvent,
  shape: CallShape,
): CallTransition {
  switch (event.type) {
    case 'hang_up':
      // Nobody answered yet: no sender's side to hang up.
      return event.by === 'sender' ? refused(state) : hangUpRinging(state, event.by, shape);
    case 'room_lost':
      return phoneBound(state, shape) ? hangUpRinging(state, 'system', shape) : moveRoom(state);
    case 'room_moved':
      return roomMoved(state);
    case 'move_failed':
      return state.room === 'moving' ? hangUpRinging(state, 'system', shape) : refused(state);
    case 'taken_over':
      return handedOver();
    case 'guest_joined':
    case 'guest_left':
    case 'phone_held':
      return refused(state);
    default:
      return fromPlan(state, ringPlanTransition(state.plan, event, shape.stages, shape.candidates));
  }
}

function whileAnswered(
  state: Extract<CallState, { kind: 'answered' }>,
  event: CallEvent,
  shape: CallShape,
): CallTransition {
  switch (event.type) {
    case 'guest_joined':
      return accepted({ ...state, guests: state.guests + 1 }, []);
    case 'guest_left': {
      if (state.guests === 0) return refused(state);
      const next = { ...state, guests: state.guests - 1 };
      return next.guests === 0 && !next.callerPresent
        ? endAnswered('caller', false)
        : accepted(next, [{ type: 'announce' }]);
    }
    case 'hang_up':
      if (event.by === 'caller' && !state.callerPresent) return refused(state);
      // The other recipients talk on with the sender: only the first caller leaves.
      if (event.by === 'caller' && state.guests > 0) {
        return accepted({ ...state, callerPresent: false }, [
          { type: 'caller_leaves' },
          { type: 'announce' },
        ]);
      }
      return endAnswered(event.by, state.callerPresent);
    case 'room_lost':
      return shape.caller === 'phone'
        ? endAnswered('system', state.callerPresent)
        : moveRoom(state);
    case 'room_moved':
      return roomMoved(state);
    case 'move_failed':
      return state.room === 'moving' ? endAnswered('system', state.callerPresent) : refused(state);
    case 'taken_over':
      return handedOver();
    default:
      return refused(state);
  }
}

function whileOnPhone(
  state: Extract<CallState, { kind: 'on_phone' }>,
  event: CallEvent,
): CallTransition {
  switch (event.type) {
    case 'phone_held':
      return accepted({ kind: 'on_phone', held: event.held }, [
        { type: 'caller_stage', stage: event.held ? 'on_hold' : 'connected' },
      ]);
    case 'hang_up':
      // The sender's side of a phone leg is the phone: it has hung up already.
      return endAnswered(event.by, true, event.by === 'sender' ? [] : [{ type: 'hang_up_phone' }]);
    case 'room_lost':
    case 'move_failed':
      return endAnswered('system', true, [{ type: 'hang_up_phone' }]);
    case 'taken_over':
      return handedOver();
    default:
      return refused(state);
  }
}

/** The caller (or the system, for them) gives up while it rings: the ring plan cancels. */
function hangUpRinging(
  state: Extract<CallState, { kind: 'ringing' }>,
  by: HangUpBy,
  shape: CallShape,
): CallTransition {
  const result = fromPlan(
    state,
    ringPlanTransition(state.plan, { type: 'caller_hung_up' }, shape.stages, shape.candidates),
  );
  // The caller did not do it: their page is told the call is over.
  return by === 'system'
    ? { ...result, effects: [...result.effects, { type: 'caller_stage', stage: 'ended' }] }
    : result;
}

/** An answered call (by a device or a phone) ends for everyone in it. */
function endAnswered(
  by: HangUpBy,
  callerPresent: boolean,
  before: CallEffect[] = [],
): CallTransition {
  return accepted({ kind: 'ended', outcome: 'answered' }, [
    ...before,
    { type: 'tell_ended', by, callerPresent },
    { type: 'finish', outcome: 'answered' },
  ]);
}

/** What the ring plan's step means for the whole call. */
function fromPlan(
  state: Extract<CallState, { kind: 'ringing' }>,
  step: { state: RingPlanState; effects: RingEffect[]; accepted: boolean },
): CallTransition {
  if (!step.accepted) return refused(state);
  const effects: CallEffect[] = step.effects;
  const plan = step.state;
  switch (plan.kind) {
    case 'ringing':
      return accepted({ ...state, plan }, effects);
    case 'answered':
      return accepted(
        {
          kind: 'answered',
          deviceId: plan.deviceId,
          callerPresent: true,
          guests: 0,
          room: state.room,
        },
        [...effects, { type: 'device_answered', deviceId: plan.deviceId }],
      );
    case 'on_phone':
      return accepted({ kind: 'on_phone', held: false }, [...effects, { type: 'clear_timers' }]);
    case 'ended': {
      const outcome = outcomeOf(plan.outcome);
      return accepted({ kind: 'ended', outcome }, [...effects, { type: 'finish', outcome }]);
    }
  }
}

/** Whether a phone is tied to the call's room (its RTP relay cannot follow a move). */
function phoneBound(state: Extract<CallState, { kind: 'ringing' }>, shape: CallShape): boolean {
  return shape.caller === 'phone' || shape.stages[state.plan.stage]?.kind === 'phone';
}

/** A call whose media room can move (ringing, or answered by a device). */
type WithRoom = Extract<CallState, { room: RoomState }>;

function moveRoom(state: WithRoom): CallTransition {
  return accepted({ ...state, room: 'moving' }, [{ type: 'move_room' }]);
}

function roomMoved(state: WithRoom): CallTransition {
  return state.room === 'moving' ? accepted({ ...state, room: 'open' }, []) : refused(state);
}

function handedOver(): CallTransition {
  return accepted({ kind: 'handed_over' }, [{ type: 'release' }]);
}

function accepted(state: CallState, effects: CallEffect[]): CallTransition {
  return { state, effects, accepted: true };
}

function refused(state: CallState): CallTransition {
  return { state, effects: [], accepted: false };
}

function outcomeOf(outcome: RingPlanOutcome): CallOutcome {
  return outcome === 'cancelled' ? 'cancelled' : outcome === 'declined' ? 'declined' : 'missed';
}

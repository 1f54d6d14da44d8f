// The call table's transitions, without a server: each line of the diagram at
// the top of server/calls/call-machine.ts, and every event each state refuses.
import { describe, expect, it } from 'vitest';
import type { RankedDevice } from '../../server/presence/ranking.js';
import { deviceStages, phoneStage, type RingStage } from '../../server/calls/ring-plan.js';
import {
  NEW_CALL,
  answeredState,
  transition,
  type CallEvent,
  type CallShape,
  type CallState,
  type CallTransition,
  type RoomState,
} from '../../server/calls/call-machine.js';

const device = (deviceId: string, alwaysRing = false): RankedDevice => ({
  deviceId,
  label: deviceId,
  score: 0,
  alwaysRing,
  reason: '',
});
const stages = deviceStages({ firstStageMs: 6000, totalMs: 25000 });
const withPhone = (available = true): RingStage[] => [...stages, phoneStage(() => available)];
const laptop = device('laptop');
const phone = device('phone');

function shapeOf(
  candidates: RankedDevice[] = [laptop, phone],
  plan: RingStage[] = stages,
  caller: CallShape['caller'] = 'page',
): CallShape {
  return { stages: plan, candidates: () => candidates, caller };
}

function run(events: CallEvent[], shape: CallShape, from: CallState = NEW_CALL) {
  let state = from;
  const log: CallTransition[] = [];
  for (const event of events) {
    const result = transition(state, event, shape);
    state = result.state;
    log.push(result);
  }
  return { state, log };
}

/** A call ringing `ringing` in stage `stage` of its plan (as the plan enters a stage). */
function ringingAt(stage: number, ringing: string[], room: RoomState = 'open'): CallState {
  return {
    kind: 'ringing',
    plan: {
      kind: 'ringing',
      stage,
      ringing: new Set(ringing),
      excluded: new Set(),
      declines: 0,
      phoneBusy: false,
    },
    room,
  };
}

function answered(fields: Partial<Extract<CallState, { kind: 'answered' }>> = {}): CallState {
  return { ...answeredState('laptop'), ...fields } as CallState;
}

function expectRefused(state: CallState, event: CallEvent, shape = shapeOf()): void {
  const result = transition(state, event, shape);
  expect(result, `${state.kind} should refuse ${JSON.stringify(event)}`).toEqual({
    state,
    effects: [],
    accepted: false,
  });
  expect(result.state).toBe(state);
}

/** One event of each CallEvent type (and each hang_up party). */
const EVERY_EVENT: CallEvent[] = [
  { type: 'start' },
  { type: 'stage_time_up', stage: 0 },
  { type: 'declined', deviceId: 'laptop' },
  { type: 'device_left', deviceId: 'laptop' },
  { type: 'answered', deviceId: 'laptop' },
  { type: 'send_to_phone', deviceId: 'laptop' },
  { type: 'phone_answered' },
  { type: 'phone_failed' },
  { type: 'hang_up', by: 'caller' },
  { type: 'hang_up', by: 'sender' },
  { type: 'hang_up', by: 'system' },
  { type: 'guest_joined' },
  { type: 'guest_left' },
  { type: 'phone_held', held: true },
  { type: 'room_lost' },
  { type: 'room_moved' },
  { type: 'move_failed' },
  { type: 'taken_over' },
];
const RING_PLAN_EVENTS = EVERY_EVENT.filter((e) =>
  [
    'start',
    'stage_time_up',
    'declined',
    'device_left',
    'answered',
    'send_to_phone',
    'phone_answered',
    'phone_failed',
  ].includes(e.type),
);

describe('the call table while it rings', () => {
  it('starts the ring plan: stage 0 rings the best device', () => {
    const { state, log } = run([{ type: 'start' }], shapeOf());
    expect(log[0]?.accepted).toBe(true);
    expect(log[0]?.effects).toEqual([
      { type: 'ring', deviceIds: ['laptop'] },
      { type: 'stage_timer', stage: 0, atMs: 6000 },
      { type: 'caller_stage', stage: 'ringing' },
    ]);
    expect(state).toEqual(ringingAt(0, ['laptop']));
  });

  it('follows the ring plan to the next stage, and refuses a second start or a stale timer', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'stage_time_up', stage: 0 }, { type: 'start' }],
      shapeOf(),
    );
    expect(log[1]?.effects).toEqual([
      { type: 'ring', deviceIds: ['phone'] },
      { type: 'stage_timer', stage: 1, atMs: 25000 },
      { type: 'caller_stage', stage: 'ringing_others' },
    ]);
    expect(state).toEqual(ringingAt(1, ['laptop', 'phone']));
    expect(log[2]?.accepted).toBe(false);
    expectRefused(state, { type: 'stage_time_up', stage: 0 });
  });

  it('keeps the room moving while the ring plan moves on', () => {
    const result = transition(
      ringingAt(0, ['laptop'], 'moving'),
      { type: 'stage_time_up', stage: 0 },
      shapeOf(),
    );
    expect(result.state).toMatchObject({ kind: 'ringing', room: 'moving', plan: { stage: 1 } });
  });

  it('keeps ringing, with no effect, when one of several ringing devices leaves', () => {
    const result = transition(
      ringingAt(1, ['laptop', 'phone']),
      { type: 'device_left', deviceId: 'laptop' },
      shapeOf(),
    );
    expect(result.accepted).toBe(true);
    expect(result.effects).toEqual([]);
    expect(result.state).toMatchObject({
      kind: 'ringing',
      room: 'open',
      plan: { stage: 1, ringing: new Set(['phone']), excluded: new Set(['laptop']) },
    });
  });

  it('goes to answered when a ringing device answers: device_answered after the plan', () => {
    const result = transition(
      ringingAt(1, ['laptop', 'phone']),
      { type: 'answered', deviceId: 'phone' },
      shapeOf(),
    );
    expect(result.accepted).toBe(true);
    expect(result.state).toEqual({
      kind: 'answered',
      deviceId: 'phone',
      callerPresent: true,
      guests: 0,
      room: 'open',
    });
    expect(result.effects).toEqual([
      {
        type: 'stop_ringing',
        deviceIds: ['laptop'],
        reason: 'answered_elsewhere',
        answeredBy: 'phone',
      },
      { type: 'caller_stage', stage: 'connected' },
      { type: 'device_answered', deviceId: 'phone' },
    ]);
  });

  it('carries a moving room over into the answered call', () => {
    const result = transition(
      ringingAt(0, ['laptop'], 'moving'),
      { type: 'answered', deviceId: 'laptop' },
      shapeOf(),
    );
    expect(result.state).toEqual({ ...answeredState('laptop'), room: 'moving' });
  });

  it('refuses an answer from a device that is not ringing', () => {
    expectRefused(ringingAt(0, ['laptop']), { type: 'answered', deviceId: 'phone' });
  });

  it('forwards to the phone on "Send to my phone", and refuses it without a phone stage', () => {
    const ringing = ringingAt(0, ['laptop']);
    const result = transition(
      ringing,
      { type: 'send_to_phone', deviceId: 'laptop' },
      shapeOf([laptop], withPhone()),
    );
    expect(result.state).toMatchObject({
      kind: 'ringing',
      room: 'open',
      plan: { stage: 2, ringing: new Set() },
    });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'forwarded_to_phone' },
      { type: 'call_phone' },
      { type: 'caller_stage', stage: 'calling_phone' },
    ]);
    expectRefused(ringing, { type: 'send_to_phone', deviceId: 'laptop' }, shapeOf([laptop]));
  });

  it('goes on the phone when a forwarded phone answers: clear_timers after the plan', () => {
    const result = transition(
      ringingAt(2, []),
      { type: 'phone_answered' },
      shapeOf([], withPhone()),
    );
    expect(result.accepted).toBe(true);
    expect(result.state).toEqual({ kind: 'on_phone', held: false });
    expect(result.effects).toEqual([
      { type: 'caller_stage', stage: 'connected' },
      { type: 'clear_timers' },
    ]);
  });

  it('refuses phone events outside the phone stage', () => {
    const ringing = ringingAt(0, ['laptop']);
    expectRefused(ringing, { type: 'phone_answered' }, shapeOf([laptop], withPhone()));
    expectRefused(ringing, { type: 'phone_failed' }, shapeOf([laptop], withPhone()));
  });

  it('ends as missed when nobody answered', () => {
    const result = transition(
      ringingAt(1, ['laptop', 'phone']),
      { type: 'stage_time_up', stage: 1 },
      shapeOf(),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'missed' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop', 'phone'], reason: 'no_answer' },
      { type: 'caller_stage', stage: 'no_answer' },
      { type: 'finish', outcome: 'missed' },
    ]);
  });

  it('ends as missed when every number was busy', () => {
    const result = transition(
      ringingAt(2, []),
      { type: 'phone_failed', busy: true },
      shapeOf([], withPhone()),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'missed' });
    expect(result.effects).toEqual([
      { type: 'caller_stage', stage: 'busy' },
      { type: 'finish', outcome: 'missed' },
    ]);
  });

  it('ends as missed when nothing can ring (unavailable)', () => {
    const { state, log } = run([{ type: 'start' }], shapeOf([], withPhone(false)));
    expect(state).toEqual({ kind: 'ended', outcome: 'missed' });
    expect(log[0]?.effects).toEqual([
      { type: 'caller_stage', stage: 'unavailable' },
      { type: 'finish', outcome: 'missed' },
    ]);
  });

  it('ends as declined when every device declined', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'declined', deviceId: 'laptop' }],
      shapeOf([laptop]),
    );
    expect(state).toEqual({ kind: 'ended', outcome: 'declined' });
    expect(log[1]?.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'declined' },
      { type: 'caller_stage', stage: 'declined' },
      { type: 'finish', outcome: 'declined' },
    ]);
  });

  it('ends as cancelled when the caller hangs up (no caller_stage: their page knows)', () => {
    const result = transition(
      ringingAt(0, ['laptop']),
      { type: 'hang_up', by: 'caller' },
      shapeOf(),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'caller_hung_up' },
      { type: 'finish', outcome: 'cancelled' },
    ]);
  });

  it('ends as cancelled when the system hangs up, and tells the caller last', () => {
    const result = transition(
      ringingAt(0, ['laptop']),
      { type: 'hang_up', by: 'system' },
      shapeOf(),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'caller_hung_up' },
      { type: 'finish', outcome: 'cancelled' },
      { type: 'caller_stage', stage: 'ended' },
    ]);
  });

  it('cancels the phone when the caller hangs up in the phone stage', () => {
    const result = transition(
      ringingAt(2, []),
      { type: 'hang_up', by: 'caller' },
      shapeOf([], withPhone()),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: [], reason: 'caller_hung_up' },
      { type: 'cancel_phone' },
      { type: 'finish', outcome: 'cancelled' },
    ]);
  });

  it('moves the room when it is lost in a device stage', () => {
    const result = transition(ringingAt(0, ['laptop']), { type: 'room_lost' }, shapeOf());
    expect(result.accepted).toBe(true);
    expect(result.state).toEqual(ringingAt(0, ['laptop'], 'moving'));
    expect(result.effects).toEqual([{ type: 'move_room' }]);
  });

  it('cancels, as hang_up(system), when the room is lost with a phone caller', () => {
    const result = transition(
      ringingAt(0, ['laptop']),
      { type: 'room_lost' },
      shapeOf([laptop], stages, 'phone'),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'caller_hung_up' },
      { type: 'finish', outcome: 'cancelled' },
      { type: 'caller_stage', stage: 'ended' },
    ]);
  });

  it('cancels the phone, as hang_up(system), when the room is lost in the phone stage', () => {
    const result = transition(ringingAt(2, []), { type: 'room_lost' }, shapeOf([], withPhone()));
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: [], reason: 'caller_hung_up' },
      { type: 'cancel_phone' },
      { type: 'finish', outcome: 'cancelled' },
      { type: 'caller_stage', stage: 'ended' },
    ]);
  });

  it('opens the moved room, and refuses room_moved when the room is open', () => {
    const result = transition(
      ringingAt(0, ['laptop'], 'moving'),
      { type: 'room_moved' },
      shapeOf(),
    );
    expect(result).toEqual({ state: ringingAt(0, ['laptop']), effects: [], accepted: true });
    expectRefused(ringingAt(0, ['laptop']), { type: 'room_moved' });
  });

  it('cancels, as hang_up(system), when the move fails', () => {
    const result = transition(
      ringingAt(0, ['laptop'], 'moving'),
      { type: 'move_failed' },
      shapeOf(),
    );
    expect(result.state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(result.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'caller_hung_up' },
      { type: 'finish', outcome: 'cancelled' },
      { type: 'caller_stage', stage: 'ended' },
    ]);
  });

  it('is handed over when another node takes it over', () => {
    const result = transition(ringingAt(0, ['laptop']), { type: 'taken_over' }, shapeOf());
    expect(result).toEqual({
      state: { kind: 'handed_over' },
      effects: [{ type: 'release' }],
      accepted: true,
    });
  });

  it('refuses a hang_up from the sender (nobody answered) and move_failed with no move', () => {
    expectRefused(ringingAt(0, ['laptop']), { type: 'hang_up', by: 'sender' });
    expectRefused(ringingAt(0, ['laptop']), { type: 'move_failed' });
  });

  it('refuses guests and hold while it rings', () => {
    for (const event of [
      { type: 'guest_joined' },
      { type: 'guest_left' },
      { type: 'phone_held', held: true },
      { type: 'phone_held', held: false },
    ] as const) {
      expectRefused(ringingAt(0, ['laptop']), event);
    }
  });
});

describe('the call table once a device answered', () => {
  it('a call taken over after the answer starts answered, caller present, no guests', () => {
    expect(answeredState('laptop')).toEqual({
      kind: 'answered',
      deviceId: 'laptop',
      callerPresent: true,
      guests: 0,
      room: 'open',
    });
  });

  it('counts a guest who joins, with no effect', () => {
    const result = transition(answered({ guests: 1 }), { type: 'guest_joined' }, shapeOf());
    expect(result).toEqual({ state: answered({ guests: 2 }), effects: [], accepted: true });
  });

  it('refuses guest_left with no guest', () => {
    expectRefused(answered(), { type: 'guest_left' });
    expectRefused(answered({ callerPresent: false }), { type: 'guest_left' });
  });

  it('announces when a guest leaves and someone is still there', () => {
    expect(transition(answered({ guests: 1 }), { type: 'guest_left' }, shapeOf())).toEqual({
      state: answered({ guests: 0 }),
      effects: [{ type: 'announce' }],
      accepted: true,
    });
    expect(
      transition(answered({ guests: 2, callerPresent: false }), { type: 'guest_left' }, shapeOf()),
    ).toEqual({
      state: answered({ guests: 1, callerPresent: false }),
      effects: [{ type: 'announce' }],
      accepted: true,
    });
  });

  it('ends when the last recipient leaves after the caller left', () => {
    const result = transition(
      answered({ guests: 1, callerPresent: false }),
      { type: 'guest_left' },
      shapeOf(),
    );
    expect(result).toEqual({
      state: { kind: 'ended', outcome: 'answered' },
      effects: [
        // The first caller left already: the end is not told to them again.
        { type: 'tell_ended', by: 'caller', callerPresent: false },
        { type: 'finish', outcome: 'answered' },
      ],
      accepted: true,
    });
  });

  it('lets the guests talk on when the caller hangs up', () => {
    const result = transition(
      answered({ guests: 2 }),
      { type: 'hang_up', by: 'caller' },
      shapeOf(),
    );
    expect(result).toEqual({
      state: answered({ guests: 2, callerPresent: false }),
      effects: [{ type: 'caller_leaves' }, { type: 'announce' }],
      accepted: true,
    });
  });

  it('refuses a second hang_up from a caller who already left', () => {
    expectRefused(answered({ guests: 1, callerPresent: false }), { type: 'hang_up', by: 'caller' });
  });

  it('ends when the caller hangs up with no guest', () => {
    const result = transition(answered(), { type: 'hang_up', by: 'caller' }, shapeOf());
    expect(result).toEqual({
      state: { kind: 'ended', outcome: 'answered' },
      effects: [
        { type: 'tell_ended', by: 'caller', callerPresent: true },
        { type: 'finish', outcome: 'answered' },
      ],
      accepted: true,
    });
  });

  it('ends for everyone when the sender or the system hangs up, guests or not', () => {
    for (const by of ['sender', 'system'] as const) {
      for (const callerPresent of [true, false]) {
        const state = answered({ guests: callerPresent ? 0 : 2, callerPresent });
        const result = transition(state, { type: 'hang_up', by }, shapeOf());
        expect(result).toEqual({
          state: { kind: 'ended', outcome: 'answered' },
          effects: [
            { type: 'tell_ended', by, callerPresent },
            { type: 'finish', outcome: 'answered' },
          ],
          accepted: true,
        });
      }
    }
  });

  it('moves the room when it is lost with a page caller', () => {
    const result = transition(answered({ guests: 1 }), { type: 'room_lost' }, shapeOf());
    expect(result).toEqual({
      state: answered({ guests: 1, room: 'moving' }),
      effects: [{ type: 'move_room' }],
      accepted: true,
    });
  });

  it('ends, as hang_up(system), when the room is lost with a phone caller', () => {
    const result = transition(
      answered(),
      { type: 'room_lost' },
      shapeOf([laptop], stages, 'phone'),
    );
    expect(result).toEqual({
      state: { kind: 'ended', outcome: 'answered' },
      effects: [
        { type: 'tell_ended', by: 'system', callerPresent: true },
        { type: 'finish', outcome: 'answered' },
      ],
      accepted: true,
    });
  });

  it('opens the moved room, and refuses room_moved when the room is open', () => {
    expect(transition(answered({ room: 'moving' }), { type: 'room_moved' }, shapeOf())).toEqual({
      state: answered(),
      effects: [],
      accepted: true,
    });
    expectRefused(answered(), { type: 'room_moved' });
  });

  it('refuses move_failed when no move runs', () => {
    expectRefused(answered(), { type: 'move_failed' });
  });

  it('ends, as hang_up(system), when the move fails', () => {
    const result = transition(answered({ room: 'moving' }), { type: 'move_failed' }, shapeOf());
    expect(result).toEqual({
      state: { kind: 'ended', outcome: 'answered' },
      effects: [
        { type: 'tell_ended', by: 'system', callerPresent: true },
        { type: 'finish', outcome: 'answered' },
      ],
      accepted: true,
    });
  });

  it('is handed over when another node takes it over', () => {
    expect(transition(answered({ guests: 1 }), { type: 'taken_over' }, shapeOf())).toEqual({
      state: { kind: 'handed_over' },
      effects: [{ type: 'release' }],
      accepted: true,
    });
  });

  it('refuses the ring plan events and hold', () => {
    for (const event of [...RING_PLAN_EVENTS, { type: 'phone_held', held: false } as const]) {
      expectRefused(answered(), event);
    }
  });
});

describe('the call table on a forwarded phone', () => {
  const onPhone = (held = false): CallState => ({ kind: 'on_phone', held });

  it('tells the caller when the phone holds and resumes', () => {
    expect(transition(onPhone(), { type: 'phone_held', held: true }, shapeOf())).toEqual({
      state: onPhone(true),
      effects: [{ type: 'caller_stage', stage: 'on_hold' }],
      accepted: true,
    });
    expect(transition(onPhone(true), { type: 'phone_held', held: false }, shapeOf())).toEqual({
      state: onPhone(false),
      effects: [{ type: 'caller_stage', stage: 'connected' }],
      accepted: true,
    });
  });

  it('does not hang up a phone that hung up itself (sender)', () => {
    expect(transition(onPhone(), { type: 'hang_up', by: 'sender' }, shapeOf())).toEqual({
      state: { kind: 'ended', outcome: 'answered' },
      effects: [
        { type: 'tell_ended', by: 'sender', callerPresent: true },
        { type: 'finish', outcome: 'answered' },
      ],
      accepted: true,
    });
  });

  it('hangs up the phone first when the caller or the system hangs up', () => {
    for (const by of ['caller', 'system'] as const) {
      expect(transition(onPhone(true), { type: 'hang_up', by }, shapeOf())).toEqual({
        state: { kind: 'ended', outcome: 'answered' },
        effects: [
          { type: 'hang_up_phone' },
          { type: 'tell_ended', by, callerPresent: true },
          { type: 'finish', outcome: 'answered' },
        ],
        accepted: true,
      });
    }
  });

  it('ends, as hang_up(system), when the room is lost or its move fails', () => {
    for (const type of ['room_lost', 'move_failed'] as const) {
      expect(transition(onPhone(), { type }, shapeOf())).toEqual({
        state: { kind: 'ended', outcome: 'answered' },
        effects: [
          { type: 'hang_up_phone' },
          { type: 'tell_ended', by: 'system', callerPresent: true },
          { type: 'finish', outcome: 'answered' },
        ],
        accepted: true,
      });
    }
  });

  it('is handed over when another node takes it over', () => {
    expect(transition(onPhone(), { type: 'taken_over' }, shapeOf())).toEqual({
      state: { kind: 'handed_over' },
      effects: [{ type: 'release' }],
      accepted: true,
    });
  });

  it('refuses the ring plan events, guests and room_moved', () => {
    for (const event of [
      ...RING_PLAN_EVENTS,
      { type: 'guest_joined' } as const,
      { type: 'guest_left' } as const,
      { type: 'room_moved' } as const,
    ]) {
      expectRefused(onPhone(), event);
    }
  });
});

describe('the call table after the call', () => {
  const finals: CallState[] = [
    { kind: 'ended', outcome: 'answered' },
    { kind: 'ended', outcome: 'missed' },
    { kind: 'ended', outcome: 'declined' },
    { kind: 'ended', outcome: 'cancelled' },
    { kind: 'handed_over' },
  ];

  it('refuses every event once ended or handed over', () => {
    for (const state of finals) {
      for (const event of EVERY_EVENT) {
        expectRefused(state, event);
        expectRefused(state, event, shapeOf([], withPhone(), 'phone'));
      }
    }
  });

  it('lists one event of each type', () => {
    expect(new Set(EVERY_EVENT.map((e) => e.type)).size).toBe(16);
  });
});

describe('a whole group call', () => {
  it('rings, is answered, guests join, the caller leaves, the last guest ends it', () => {
    const { state, log } = run(
      [
        { type: 'start' },
        { type: 'answered', deviceId: 'laptop' },
        { type: 'guest_joined' },
        { type: 'guest_joined' },
        { type: 'hang_up', by: 'caller' },
        { type: 'guest_left' },
        { type: 'guest_left' },
      ],
      shapeOf(),
    );
    expect(log.map((step) => step.accepted)).toEqual([true, true, true, true, true, true, true]);
    expect(log.map((step) => step.state.kind)).toEqual([
      'ringing',
      'answered',
      'answered',
      'answered',
      'answered',
      'answered',
      'ended',
    ]);
    expect(log[1]?.effects).toContainEqual({ type: 'device_answered', deviceId: 'laptop' });
    expect(log[4]?.state).toEqual(answered({ guests: 2, callerPresent: false }));
    expect(log[5]?.effects).toEqual([{ type: 'announce' }]);
    expect(log[6]?.effects).toEqual([
      { type: 'tell_ended', by: 'caller', callerPresent: false },
      { type: 'finish', outcome: 'answered' },
    ]);
    expect(state).toEqual({ kind: 'ended', outcome: 'answered' });
  });
});

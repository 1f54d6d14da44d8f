// The ring plan's transitions, without a server: each rule of docs/design.md, "The ring plan".
import { describe, expect, it } from 'vitest';
import type { RankedDevice } from '../../server/presence/ranking.js';
import {
  IDLE,
  deviceStages,
  phoneStage,
  transition,
  type RingPlanState,
} from '../../server/calls/ring-plan.js';

const device = (deviceId: string, alwaysRing = false): RankedDevice => ({
  deviceId,
  label: deviceId,
  score: 0,
  alwaysRing,
  reason: '',
});
const stages = deviceStages({ firstStageMs: 6000, totalMs: 25000 });

function run(
  events: Parameters<typeof transition>[1][],
  candidates: RankedDevice[],
  plan = stages,
) {
  let state: RingPlanState = IDLE;
  const log = [];
  for (const event of events) {
    const result = transition(state, event, plan, () => candidates);
    state = result.state;
    log.push(result);
  }
  return { state, log };
}

describe('the ring plan', () => {
  const laptop = device('laptop');
  const phone = device('phone');

  it('rings the best device alone first, then every device at T1', () => {
    const { log } = run([{ type: 'start' }, { type: 'stage_time_up', stage: 0 }], [laptop, phone]);
    expect(log[0]?.effects).toEqual([
      { type: 'ring', deviceIds: ['laptop'] },
      { type: 'stage_timer', stage: 0, atMs: 6000 },
      { type: 'caller_stage', stage: 'ringing' },
    ]);
    expect(log[1]?.effects).toEqual([
      { type: 'ring', deviceIds: ['phone'] },
      { type: 'stage_timer', stage: 1, atMs: 25000 },
      { type: 'caller_stage', stage: 'ringing_others' },
    ]);
  });

  it('ends with no answer at T2 and stops every ring', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'stage_time_up', stage: 0 }, { type: 'stage_time_up', stage: 1 }],
      [laptop, phone],
    );
    expect(state).toEqual({ kind: 'ended', outcome: 'no_answer' });
    expect(log[2]?.effects).toContainEqual({
      type: 'stop_ringing',
      deviceIds: ['laptop', 'phone'],
      reason: 'no_answer',
    });
  });

  it('moves on at once when the only ringing device declines or leaves', () => {
    for (const type of ['declined', 'device_left'] as const) {
      const { state } = run([{ type: 'start' }, { type, deviceId: 'laptop' }], [laptop, phone]);
      expect(state).toMatchObject({ kind: 'ringing', stage: 1, ringing: new Set(['phone']) });
    }
  });

  it('ends as declined when every device declined', () => {
    const { state } = run(
      [
        { type: 'start' },
        { type: 'declined', deviceId: 'laptop' },
        { type: 'declined', deviceId: 'phone' },
      ],
      [laptop, phone],
    );
    expect(state).toEqual({ kind: 'ended', outcome: 'declined' });
  });

  it('lets the first answer win and refuses a second one', () => {
    let state: RingPlanState = IDLE;
    for (const event of [{ type: 'start' }, { type: 'stage_time_up', stage: 0 }] as const) {
      state = transition(state, event, stages, () => [laptop, phone]).state;
    }
    const first = transition(state, { type: 'answered', deviceId: 'phone' }, stages, () => [
      laptop,
      phone,
    ]);
    expect(first.accepted).toBe(true);
    expect(first.effects).toContainEqual({
      type: 'stop_ringing',
      deviceIds: ['laptop'],
      reason: 'answered_elsewhere',
      answeredBy: 'phone',
    });
    const second = transition(first.state, { type: 'answered', deviceId: 'laptop' }, stages, () => [
      laptop,
      phone,
    ]);
    expect(second.accepted).toBe(false);
  });

  it('refuses an answer from a device that is not ringing', () => {
    const { log } = run(
      [{ type: 'start' }, { type: 'answered', deviceId: 'phone' }],
      [laptop, phone],
    );
    expect(log[1]?.accepted).toBe(false);
  });

  it('cancels every ring when the caller hangs up', () => {
    const { state, log } = run([{ type: 'start' }, { type: 'caller_hung_up' }], [laptop, phone]);
    expect(state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(log[1]?.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'caller_hung_up' },
    ]);
  });

  it('rings "always ring" devices in the first stage too', () => {
    const { log } = run([{ type: 'start' }], [laptop, phone, device('desk', true)]);
    expect(log[0]?.effects[0]).toEqual({ type: 'ring', deviceIds: ['laptop', 'desk'] });
  });

  it('is unavailable when nothing can ring, and ignores stale timers', () => {
    expect(run([{ type: 'start' }], []).state).toEqual({ kind: 'ended', outcome: 'unavailable' });
    const { log } = run([{ type: 'start' }, { type: 'stage_time_up', stage: 1 }], [laptop]);
    expect(log[1]?.accepted).toBe(false);
  });
});

describe('the ring plan with forwarding numbers (stage 3)', () => {
  const laptop = device('laptop');
  const withPhone = (available = true) => [...stages, phoneStage(() => available)];

  it('forwards at T2: devices stop ringing ("forwarded") and the phone is called', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'stage_time_up', stage: 0 }, { type: 'stage_time_up', stage: 1 }],
      [laptop],
      withPhone(),
    );
    expect(state).toMatchObject({ kind: 'ringing', stage: 2, ringing: new Set() });
    expect(log[2]?.effects).toEqual([
      { type: 'stop_ringing', deviceIds: ['laptop'], reason: 'forwarded_to_phone' },
      { type: 'call_phone' },
      { type: 'caller_stage', stage: 'calling_phone' },
    ]);
  });

  it('calls the phone at once when no device is online', () => {
    const { log } = run([{ type: 'start' }], [], withPhone());
    expect(log[0]?.effects).toEqual([
      { type: 'call_phone' },
      { type: 'caller_stage', stage: 'calling_phone' },
    ]);
  });

  it('skips the phone when no trunk can take the call', () => {
    const { state } = run([{ type: 'start' }], [], withPhone(false));
    expect(state).toEqual({ kind: 'ended', outcome: 'unavailable' });
  });

  it('connects when the phone answers, and a late device answer is refused', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'phone_answered' }, { type: 'answered', deviceId: 'laptop' }],
      [],
      withPhone(),
    );
    expect(state).toEqual({ kind: 'on_phone' });
    expect(log[1]?.effects).toEqual([{ type: 'caller_stage', stage: 'connected' }]);
    expect(log[2]?.accepted).toBe(false);
  });

  it('ends with no answer when no number answers, even after a decline', () => {
    const tablet = device('tablet');
    const { state } = run(
      [
        { type: 'start' },
        { type: 'stage_time_up', stage: 0 },
        { type: 'declined', deviceId: 'laptop' },
        { type: 'stage_time_up', stage: 1 },
        { type: 'phone_failed' },
      ],
      [laptop, tablet],
      withPhone(),
    );
    expect(state).toEqual({ kind: 'ended', outcome: 'no_answer' });
  });

  it('tells the caller "busy" when every number was busy', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'phone_failed', busy: true }],
      [],
      withPhone(),
    );
    expect(state).toEqual({ kind: 'ended', outcome: 'busy' });
    expect(log[1]?.effects).toEqual([{ type: 'caller_stage', stage: 'busy' }]);
  });

  it('"Send to my phone" from a ringing device forwards at once', () => {
    const { state, log } = run(
      [{ type: 'start' }, { type: 'send_to_phone', deviceId: 'laptop' }],
      [laptop],
      withPhone(),
    );
    expect(state).toMatchObject({ kind: 'ringing', stage: 2 });
    expect(log[1]?.effects).toContainEqual({ type: 'call_phone' });
  });

  it('refuses "Send to my phone" without numbers, or from a device not ringing', () => {
    expect(
      run([{ type: 'start' }, { type: 'send_to_phone', deviceId: 'laptop' }], [laptop]).log[1]
        ?.accepted,
    ).toBe(false);
    expect(
      run([{ type: 'start' }, { type: 'send_to_phone', deviceId: 'other' }], [laptop], withPhone())
        .log[1]?.accepted,
    ).toBe(false);
  });

  it('cancels the phone leg when the caller hangs up while it rings', () => {
    const { state, log } = run([{ type: 'start' }, { type: 'caller_hung_up' }], [], withPhone());
    expect(state).toEqual({ kind: 'ended', outcome: 'cancelled' });
    expect(log[1]?.effects).toContainEqual({ type: 'cancel_phone' });
  });
});

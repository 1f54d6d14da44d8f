// The ring plan as an explicit state machine (docs/design.md, "The ring plan"). Pure: it takes
// the current state and an event and returns the next state and the effects
// for the orchestrator to carry out. Stages are a list: device stages ring
// devices, a phone stage forwards to the sender's numbers (voicemail next).
//
//   start ──> ringing(stage 0: most active device, + "always ring" devices)
//   ringing(n) ── stage time is up, or every ringing device declined/left ──> ringing(n+1)
//   ringing(devices) ── a ringing device presses "Send to my phone" ──> ringing(phone stage)
//   ringing(phone) ── no number answered ──> ringing(n+1)
//   ringing(last) ── same ──> ended(no_answer | declined | busy: every number was busy)
//   ringing(devices) ── a ringing device answers ──> answered   (first answer wins)
//   ringing(phone) ── a phone answers ──> on_phone
//   ringing(n) ── caller hangs up ──> ended(cancelled)
//   start with no device to ring and no phone ──> ended(unavailable)
//
// Stages with nobody to ring (no device online, no number or no trunk up) are
// skipped, so a sender with no device online is forwarded at once.
import type { CallerStage, RingEndReason } from '../../protocol/call.js';
import type { RankedDevice } from '../presence/ranking.js';

export type RingStage = DeviceStage | PhoneStage;

export interface DeviceStage {
  kind: 'devices';
  callerStage: CallerStage;
  /** Devices this stage rings, from the current candidates (best first). */
  pick: (candidates: RankedDevice[]) => string[];
  /** When the stage gives up, in ms from the start of the call. */
  endsAfterMs: number;
}

/** Forwarding to the sender's phones; ends when one answers or none did. */
export interface PhoneStage {
  kind: 'phone';
  callerStage: 'calling_phone';
  /** The sender has numbers and a trunk is up (asked when the stage starts). */
  available: () => boolean;
}

export type RingPlanState =
  | {
      kind: 'ringing';
      stage: number;
      ringing: ReadonlySet<string>;
      /** Devices that declined or left: never rung again in this call. */
      excluded: ReadonlySet<string>;
      declines: number;
      /** The phone stage just failed with every number busy (cleared when devices ring). */
      phoneBusy?: boolean;
    }
  | { kind: 'answered'; deviceId: string }
  | { kind: 'on_phone' }
  | { kind: 'ended'; outcome: RingPlanOutcome };

export type RingPlanOutcome = 'no_answer' | 'busy' | 'declined' | 'cancelled' | 'unavailable';

export type RingPlanEvent =
  | { type: 'start' }
  | { type: 'stage_time_up'; stage: number }
  | { type: 'declined'; deviceId: string }
  | { type: 'device_left'; deviceId: string }
  | { type: 'answered'; deviceId: string }
  | { type: 'send_to_phone'; deviceId: string }
  | { type: 'phone_answered' }
  | { type: 'phone_failed'; busy?: boolean }
  | { type: 'caller_hung_up' };

export type RingEffect =
  | { type: 'ring'; deviceIds: string[] }
  | { type: 'stop_ringing'; deviceIds: string[]; reason: RingEndReason; answeredBy?: string }
  | { type: 'stage_timer'; stage: number; atMs: number }
  | { type: 'call_phone' }
  | { type: 'cancel_phone' }
  | { type: 'caller_stage'; stage: CallerStage };

export interface Transition {
  state: RingPlanState;
  effects: RingEffect[];
  /** False when the event did not apply (e.g. an answer from a device not ringing). */
  accepted: boolean;
}

export const IDLE: RingPlanState = {
  kind: 'ringing',
  stage: -1,
  ringing: new Set(),
  excluded: new Set(),
  declines: 0,
};

/** The plan for the devices stages: T1 on the most active device, then all until T2. */
export function deviceStages(plan: { firstStageMs: number; totalMs: number }): RingStage[] {
  return [
    {
      kind: 'devices',
      callerStage: 'ringing',
      pick: (candidates) => {
        const first = candidates[0];
        const always = candidates.filter((c) => c.alwaysRing).map((c) => c.deviceId);
        return first ? [...new Set([first.deviceId, ...always])] : always;
      },
      endsAfterMs: plan.firstStageMs,
    },
    {
      kind: 'devices',
      callerStage: 'ringing_others',
      pick: (candidates) => candidates.map((c) => c.deviceId),
      endsAfterMs: plan.totalMs,
    },
  ];
}

export function phoneStage(available: () => boolean): PhoneStage {
  return { kind: 'phone', callerStage: 'calling_phone', available };
}

export function transition(
  state: RingPlanState,
  event: RingPlanEvent,
  stages: RingStage[],
  candidates: () => RankedDevice[],
): Transition {
  const rejected: Transition = { state, effects: [], accepted: false };
  if (state.kind !== 'ringing') return rejected;

  switch (event.type) {
    case 'start':
      return state.stage === -1 ? enterStage(state, 0, [], stages, candidates) : rejected;

    case 'stage_time_up':
      return event.stage === state.stage
        ? enterStage(state, state.stage + 1, [], stages, candidates)
        : rejected;

    case 'declined':
    case 'device_left': {
      if (!state.ringing.has(event.deviceId)) return rejected;
      const ringing = without(state.ringing, event.deviceId);
      const next = {
        ...state,
        ringing,
        excluded: new Set([...state.excluded, event.deviceId]),
        declines: state.declines + (event.type === 'declined' ? 1 : 0),
      };
      const stop: RingEffect[] =
        event.type === 'declined'
          ? [{ type: 'stop_ringing', deviceIds: [event.deviceId], reason: 'declined' }]
          : [];
      // Nobody left ringing in this stage: move on at once.
      return ringing.size > 0
        ? { state: next, effects: stop, accepted: true }
        : enterStage(next, state.stage + 1, stop, stages, candidates);
    }

    case 'answered': {
      if (!state.ringing.has(event.deviceId)) return rejected;
      const others = [...state.ringing].filter((id) => id !== event.deviceId);
      return {
        state: { kind: 'answered', deviceId: event.deviceId },
        effects: [
          {
            type: 'stop_ringing',
            deviceIds: others,
            reason: 'answered_elsewhere',
            answeredBy: event.deviceId,
          },
          { type: 'caller_stage', stage: 'connected' },
        ],
        accepted: true,
      };
    }

    case 'send_to_phone': {
      const phone = stages.findIndex((s, i) => i > state.stage && s.kind === 'phone');
      if (!state.ringing.has(event.deviceId) || phone === -1) return rejected;
      return enterStage(state, phone, [], stages, candidates);
    }

    case 'phone_answered':
      return inPhoneStage(state, stages)
        ? {
            state: { kind: 'on_phone' },
            effects: [{ type: 'caller_stage', stage: 'connected' }],
            accepted: true,
          }
        : rejected;

    case 'phone_failed':
      return inPhoneStage(state, stages)
        ? enterStage(
            { ...state, phoneBusy: event.busy === true },
            state.stage + 1,
            [],
            stages,
            candidates,
          )
        : rejected;

    case 'caller_hung_up':
      return {
        state: { kind: 'ended', outcome: 'cancelled' },
        effects: [
          { type: 'stop_ringing', deviceIds: [...state.ringing], reason: 'caller_hung_up' },
          ...(inPhoneStage(state, stages) ? [{ type: 'cancel_phone' as const }] : []),
        ],
        accepted: true,
      };
  }
}

function inPhoneStage(state: { stage: number }, stages: RingStage[]): boolean {
  return stages[state.stage]?.kind === 'phone';
}

/** Enters `index`, skipping stages with nobody to ring; past the last, ends. */
function enterStage(
  state: Extract<RingPlanState, { kind: 'ringing' }>,
  index: number,
  effects: RingEffect[],
  stages: RingStage[],
  candidates: () => RankedDevice[],
): Transition {
  for (let i = index; i < stages.length; i++) {
    const stage = stages[i];
    if (!stage) break;
    if (stage.kind === 'phone') {
      if (!stage.available()) continue;
      return enterPhoneStage(state, i, effects);
    }
    const wanted = stage.pick(candidates()).filter((id) => !state.excluded.has(id));
    if (wanted.length === 0) continue;
    const fresh = wanted.filter((id) => !state.ringing.has(id));
    return {
      state: {
        ...state,
        stage: i,
        ringing: new Set([...state.ringing, ...wanted]),
        phoneBusy: false,
      },
      effects: [
        ...effects,
        ...(fresh.length > 0 ? [{ type: 'ring' as const, deviceIds: fresh }] : []),
        { type: 'stage_timer', stage: i, atMs: stage.endsAfterMs },
        { type: 'caller_stage', stage: stage.callerStage },
      ],
      accepted: true,
    };
  }
  return endPlan(state, effects);
}

/** Devices stop ringing ("forwarded to your phone") and the numbers are called. */
function enterPhoneStage(
  state: Extract<RingPlanState, { kind: 'ringing' }>,
  index: number,
  effects: RingEffect[],
): Transition {
  return {
    // Declines before forwarding do not make the call "declined" if the phone misses it.
    state: { ...state, stage: index, ringing: new Set(), declines: 0 },
    effects: [
      ...effects,
      ...stopRinging(state.ringing, 'forwarded_to_phone'),
      { type: 'call_phone' },
      { type: 'caller_stage', stage: 'calling_phone' },
    ],
    accepted: true,
  };
}

function endPlan(
  state: Extract<RingPlanState, { kind: 'ringing' }>,
  effects: RingEffect[],
): Transition {
  const outcome: Exclude<RingPlanOutcome, 'cancelled'> =
    state.stage === -1
      ? 'unavailable'
      : state.declines > 0 && state.ringing.size === 0
        ? 'declined'
        : state.phoneBusy === true
          ? 'busy'
          : 'no_answer';
  return {
    state: { kind: 'ended', outcome },
    effects: [
      ...effects,
      ...stopRinging(state.ringing, 'no_answer'),
      // The caller's page names each way the call ended (and offers a voice message).
      { type: 'caller_stage', stage: outcome },
    ],
    accepted: true,
  };
}

/** Stops the devices still ringing, if any. */
function stopRinging(ringing: ReadonlySet<string>, reason: RingEndReason): RingEffect[] {
  return ringing.size > 0 ? [{ type: 'stop_ringing', deviceIds: [...ringing], reason }] : [];
}

function without<T>(set: ReadonlySet<T>, value: T): Set<T> {
  const copy = new Set(set);
  copy.delete(value);
  return copy;
}

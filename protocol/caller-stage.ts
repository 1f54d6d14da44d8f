// What the caller's page is told, step by step, about the call it placed.
// Imports nothing on purpose: the reply page reads these at run time, and zod
// (which protocol/call.ts needs for its schemas) must stay out of its bundle.

export type CallerStage =
  | 'ringing' // the most active device
  | 'ringing_others' // every device
  | 'calling_phone' // forwarded to the sender's phone
  | 'connected'
  | 'on_hold' // the phone put the call on hold
  | 'no_answer'
  | 'busy' // forwarded to the sender's phones, and every number was busy
  | 'declined'
  | 'unavailable' // do-not-disturb, or nothing to ring
  | 'ended';

/** Stages after which a caller's call is over. */
export const FINAL_CALLER_STAGES: readonly CallerStage[] = [
  'no_answer',
  'busy',
  'declined',
  'unavailable',
  'ended',
];

/** Nobody took the call (the ring plan's last step): the page offers a voice message. */
export function offersVoiceMessage(stage: CallerStage): boolean {
  return stage !== 'ended' && FINAL_CALLER_STAGES.includes(stage);
}

// What the desk says about a ring that stopped: told by the server while the
// desk was connected (call:ringEnded), or read from the call history when the
// ring was a notification and the desk opened too late to answer it.
import type { CallRecordView, RingEnded } from '../../protocol/call.js';
import { api } from '../shared/api.js';

export function ringEndedText(ended: RingEnded): string | null {
  switch (ended.reason) {
    case 'answered_elsewhere':
      return `Answered on ${ended.answeredOn ?? 'another device'}.`;
    case 'caller_hung_up':
      return 'The caller hung up.';
    case 'no_answer':
      return 'Missed call.';
    case 'forwarded_to_phone':
      return 'Forwarded to your phone.';
    case 'declined':
      // Declined here: the person knows.
      return null;
  }
}

/** Why `callId` cannot be answered here any more, as far as anything tells. */
export async function whatHappened(callId: string, ended: RingEnded | undefined): Promise<string> {
  const told = ended && ringEndedText(ended);
  if (told) return told;
  const calls = await api<CallRecordView[]>('GET', '/api/calls').catch(() => []);
  const call = calls.find((record) => record.id === callId);
  if (call?.answeredAt)
    return call.answeredOn ? `Answered on ${call.answeredOn}.` : 'Someone else answered.';
  if (call?.outcome === 'cancelled') return 'The caller hung up.';
  if (call?.outcome === 'missed') return 'Missed call.';
  if (call && !call.outcome) return 'That call no longer rings here.';
  return 'That call is over.';
}

// Where a socket's call and media requests run. Each request is an operation
// of the socket handlers (call-handlers.ts, media-signaling.ts), run on this
// node for a peer; one node runs every request itself. With several nodes,
// the cluster layer (server/cluster/call-routing.ts) registers each socket's
// requests with routes that may run them on the node running their call
// instead: the handlers never know which node ran a request.
import type { ResumeCallRequest, ResumeCallResult } from '../../protocol/call.js';
import { FINAL_CALLER_STAGES } from '../../protocol/call.js';

/** The call requests, run where their call runs (a new call: where placement puts it). */
export const CALL_EVENTS = [
  // A new call runs on the node of the least-loaded media worker.
  'call:start',
  'call:answer',
  // Another recipient's reply page joins the email's group call, wherever it runs.
  'call:join',
  'call:decline',
  'call:sendToPhone',
  'call:hangup',
  'call:dtmf',
  'call:recipients',
  'call:invite',
] as const;

/** The media requests, run where the socket's media room is. */
export const MEDIA_EVENTS = [
  'media:createTransport',
  'media:connectTransport',
  'media:produce',
  'media:consume',
  'media:resumeConsumer',
  'media:closeProducer',
  'media:restartIce',
] as const;

export type CallEvent = (typeof CALL_EVENTS)[number];
export type MediaEvent = (typeof MEDIA_EVENTS)[number];

/** Runs one of a socket's validated requests: resolves with its answer, rejects with its error. */
export type Route<Event extends string> = (event: Event, request: unknown) => Promise<unknown>;

/** Where one socket's call requests run. */
export interface CallRoutes {
  call: Route<CallEvent>;
  /** A reply page takes back its call after its connection dropped (its node may have died). */
  resume(request: ResumeCallRequest): Promise<ResumeCallResult>;
}

/** The call id in a request or an answer, if it names one. */
export function callIdOf(value: unknown): string | undefined {
  return typeof value === 'object' &&
    value !== null &&
    'callId' in value &&
    typeof value.callId === 'string'
    ? value.callId
    : undefined;
}

/** Stages after which a reply page's call is over. */
const FINAL_STAGES = new Set<string>(FINAL_CALLER_STAGES);

/**
 * The call an event sent to a socket ends for it, if any: the call ended, or
 * its caller's progress reached a final stage.
 */
export function callEndedBy(event: string, payload: unknown): string | undefined {
  const callId = callIdOf(payload);
  if (callId === undefined) return undefined;
  if (event === 'call:ended') return callId;
  const stage = (payload as { stage?: unknown }).stage;
  return event === 'call:progress' && typeof stage === 'string' && FINAL_STAGES.has(stage)
    ? callId
    : undefined;
}

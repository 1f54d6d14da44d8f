// What the socket handlers need to know about calls other nodes run. With
// several nodes, a call lives on the node its caller reached (its "owner");
// a desk app connected elsewhere answers it, and later talks to its media
// room, through that node. server/cluster/call-routing.ts implements this
// over Redis; a single node has no forwarding at all.
import type { ResumeCallRequest, ResumeCallResult } from '../../protocol/call.js';
import type { VoxSocket } from './typed-server.js';

/** The socket requests that may run on another node: a new call, or one another node runs. */
export const FORWARDED_CALL_EVENTS = [
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

export const FORWARDED_MEDIA_EVENTS = [
  'media:createTransport',
  'media:connectTransport',
  'media:produce',
  'media:consume',
  'media:resumeConsumer',
  'media:closeProducer',
  'media:restartIce',
] as const;

export type ForwardedCallEvent = (typeof FORWARDED_CALL_EVENTS)[number];
export type ForwardedMediaEvent = (typeof FORWARDED_MEDIA_EVENTS)[number];
/** call:resume goes to a live call's node when the page's own node died (ADR 016). */
export type ForwardedEvent = ForwardedCallEvent | ForwardedMediaEvent | 'call:resume';

export interface Forwarding {
  /** The node a new call should run on, when that is another node (placement by media load). */
  placeCall(): Promise<string | undefined>;
  /** The node running this call, when that is another node. */
  ownerOf(callId: string): Promise<string | undefined>;
  /** The node whose media room this socket was put in, when that is another node. */
  mediaHomeOf(socketId: string): string | undefined;
  /** Runs the request on `node` for this socket; resolves with its answer or rejects with its error. */
  forward(
    node: string,
    event: ForwardedEvent,
    socket: VoxSocket,
    request: unknown,
  ): Promise<unknown>;
  /** A reply page reconnected here takes back its call, whose node may have died. */
  resume(socket: VoxSocket, request: ResumeCallRequest): Promise<ResumeCallResult>;
}

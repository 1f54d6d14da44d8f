// What the socket handlers need to know about calls other nodes run. With
// several nodes, a call lives on the node its caller reached (its "owner");
// a desk app connected elsewhere answers it, and later talks to its media
// room, through that node. server/cluster/call-routing.ts implements this
// over Redis; a single node has no forwarding at all.
import type { ResumeCallRequest, ResumeCallResult } from '../../protocol/call.js';
import type { VoxSocket } from './typed-server.js';

/** The socket requests that may belong to a call another node runs. */
export const FORWARDED_CALL_EVENTS = [
  'call:answer',
  // Another recipient's reply page joins the email's group call, wherever it runs.
  'call:join',
  'call:decline',
  'call:sendToPhone',
  'call:hangup',
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
export type ForwardedEvent = ForwardedCallEvent | ForwardedMediaEvent;

export interface Forwarding {
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

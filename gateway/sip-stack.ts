// The gateway's view of a SIP stack: RFC 3261 transactions (retransmission,
// timers) and transports are the stack's job. Kept this small so another stack
// (drachtio-srf, where a drachtio-server runs) can be plugged in (ADR 007).
import type { Remote, SipRequest, SipResponse } from 'sip';

export type { Remote, SipRequest, SipResponse };

export interface SipStack {
  /**
   * Sends a request in a new client transaction; every response is reported.
   * `local`: the stack made the answer itself (a timeout, an unreachable
   * target): the far end said nothing. An ACK (for a 2xx) has no
   * transaction: it is sent once, with no response.
   */
  request(request: SipRequest, onResponse: (response: SipResponse, local: boolean) => void): void;
  /** Answers a request received through `onRequest`, optionally with headers and a body. */
  respond(request: SipRequest, status: number, reason: string, extra?: ResponseExtras): void;
  /** The host put in Via and Contact. */
  readonly host: string;
  readonly port: number;
  /** Our Contact URI for dialogs over this transport (in-dialog requests come back on it). */
  contact(transport: SipTransport): string;
  close(): void;
}

export type SipTransport = 'udp' | 'tcp' | 'tls';

export interface ResponseExtras {
  headers?: Partial<SipRequest['headers']>;
  /** With `content-type` in headers. */
  content?: string;
}

/** A live dialog (either direction): the far end's requests inside it, and our hang-up. */
export interface SipDialog {
  /** Our tag in the dialog (random): in-dialog requests carry it in To. */
  readonly localTag: string;
  onRequest(request: SipRequest): void;
  hangup(): void;
}

export type SipRequestHandler = (request: SipRequest, remote: Remote) => void;

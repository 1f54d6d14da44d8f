// One inbound INVITE and the dialog it makes (RFC 3261, user agent server).
// SIP only: the SDP is opaque here (inbound-call.ts reads and writes it).
//
//   received ── ringing() ──> ringing (180)
//   received | ringing ── answer(sdp) ──> answered (200, resent until ACK) ── ACK ──> confirmed
//   received | ringing ── reject(status) ──> ended
//   received | ringing ── CANCEL ──> ended (200 to the CANCEL, 487 to the INVITE)
//   answered | confirmed ── BYE received ──> ended      ── hangup() (BYE sent) ──> ended
//   answered ── no ACK within 32 s ──> ended (BYE sent)
import { EventEmitter } from 'node:events';
import { randomSipToken } from './npm-sip-stack.js';
import type { SipRequest, SipStack, SipTransport } from './sip-stack.js';

export type InboundDialogState = 'received' | 'ringing' | 'answered' | 'confirmed' | 'ended';

export interface InboundDialogEvents {
  /** The far end gave up (CANCEL) or hung up (BYE), or never ACKed our 200. */
  ended: [by: 'remote' | 'local', reason: string];
}

/** RFC 3261 timers: T1, T2 and 64*T1. */
const T1_MS = 500;
const T2_MS = 4_000;
const ACK_WAIT_MS = 64 * T1_MS;

export class InboundDialog extends EventEmitter<InboundDialogEvents> {
  readonly callId: string;
  #state: InboundDialogState = 'received';
  readonly #stack: SipStack;
  readonly #invite: SipRequest;
  readonly #transport: SipTransport;
  readonly #localTag = randomSipToken();
  #cseq = 0;
  #retransmit: NodeJS.Timeout | undefined;
  #ackTimeout: NodeJS.Timeout | undefined;

  /** Answers a re-INVITE's offer; undefined: no SDP in the 200. Set by the owner. */
  answerReoffer: (offer: string | undefined) => string | undefined = () => undefined;

  constructor(stack: SipStack, invite: SipRequest, transport: SipTransport) {
    super();
    this.#stack = stack;
    this.#invite = invite;
    this.#transport = transport;
    this.callId = invite.headers['call-id'] ?? '';
    // Stops the carrier's retransmissions while the devices are asked.
    stack.respond(invite, 100, 'Trying');
  }

  get state(): InboundDialogState {
    return this.#state;
  }

  ringing(): void {
    if (this.#state !== 'received') return;
    this.#state = 'ringing';
    this.#respond(180, 'Ringing');
  }

  /** Answers with our SDP; the 200 is resent until the ACK comes (RFC 3261 13.3.1.4). */
  answer(sdp: string): void {
    if (this.#state !== 'received' && this.#state !== 'ringing') return;
    this.#state = 'answered';
    const send = (): void => this.#respond(200, 'OK', sdp);
    send();
    let interval = T1_MS;
    const again = (): void => {
      send();
      interval = Math.min(interval * 2, T2_MS);
      this.#retransmit = setTimeout(again, interval);
    };
    this.#retransmit = setTimeout(again, interval);
    this.#ackTimeout = setTimeout(() => {
      this.#sendBye();
      this.#end('local', 'no ACK');
    }, ACK_WAIT_MS);
  }

  /** Refuses the call before an answer (480 nobody answered, 486 busy, ...). */
  reject(status: number, reason: string): void {
    if (this.#state !== 'received' && this.#state !== 'ringing') return;
    this.#respond(status, reason);
    this.#end('local', `${String(status)} ${reason}`);
  }

  /** Ends the call from our side: BYE when answered, else a 480. */
  hangup(): void {
    if (this.#state === 'answered' || this.#state === 'confirmed') {
      this.#sendBye();
      this.#end('local', 'hung up');
    } else this.reject(480, 'Temporarily Unavailable');
  }

  /** A request inside this dialog (the gateway routes by Call-ID). */
  onRequest(request: SipRequest): void {
    switch (request.method) {
      case 'ACK':
        if (this.#state === 'answered') {
          this.#state = 'confirmed';
          this.#stopRetransmitting();
        }
        return;
      case 'CANCEL':
        this.#stack.respond(request, 200, 'OK');
        if (this.#state === 'received' || this.#state === 'ringing') {
          this.#respond(487, 'Request Terminated');
          this.#end('remote', 'cancelled');
        }
        return;
      case 'BYE':
        this.#stack.respond(request, 200, 'OK');
        if (this.#state === 'answered' || this.#state === 'confirmed')
          this.#end('remote', 'hung up');
        return;
      case 'INVITE': {
        // A re-INVITE (hold, unhold, session refresh): the owner answers its offer.
        const sdp = this.answerReoffer(request.content || undefined);
        this.#stack.respond(request, 200, 'OK', {
          headers: {
            contact: this.#contact(),
            ...(sdp ? { 'content-type': 'application/sdp' } : {}),
          },
          ...(sdp ? { content: sdp } : {}),
        });
        return;
      }
      default:
        // UPDATE without SDP, INFO, OPTIONS: accepted; nothing changes.
        this.#stack.respond(request, 200, 'OK');
    }
  }

  #respond(status: number, reason: string, sdp?: string): void {
    const to = this.#invite.headers.to;
    this.#stack.respond(this.#invite, status, reason, {
      headers: {
        ...(to ? { to: { ...to, params: { ...to.params, tag: this.#localTag } } } : {}),
        contact: this.#contact(),
        ...(sdp ? { 'content-type': 'application/sdp' } : {}),
      },
      ...(sdp ? { content: sdp } : {}),
    });
  }

  /** BYE from the callee side: From/To swapped, to the caller's Contact, via its Record-Route. */
  #sendBye(): void {
    const { from, to } = this.#invite.headers;
    const target = this.#invite.headers.contact?.[0]?.uri;
    if (!from || !to || !target) return;
    const routes = (this.#invite.headers['record-route'] as unknown[] | undefined) ?? [];
    this.#stack.request(
      {
        method: 'BYE',
        uri: target,
        headers: {
          from: { ...to, params: { ...to.params, tag: this.#localTag } },
          to: from,
          'call-id': this.callId,
          cseq: { method: 'BYE', seq: ++this.#cseq },
          via: [],
          'max-forwards': 70,
          ...(routes.length > 0 ? { route: routes } : {}),
        },
      },
      () => undefined,
    );
  }

  #contact(): { uri: string; params: Record<string, string> }[] {
    return [{ uri: this.#stack.contact(this.#transport), params: {} }];
  }

  #stopRetransmitting(): void {
    clearTimeout(this.#retransmit);
    clearTimeout(this.#ackTimeout);
  }

  #end(by: 'remote' | 'local', reason: string): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#stopRetransmitting();
    this.emit('ended', by, reason);
  }
}

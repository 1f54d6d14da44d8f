// One inbound INVITE and the dialog it makes (RFC 3261, user agent server).
// SIP only: the SDP is opaque here (inbound-call.ts reads and writes it).
//
//   received ── ringing() ──> ringing (180)
//   received | ringing ── answer(sdp) ──> answered (200, resent until ACK) ── ACK ──> confirmed
//   received | ringing ── reject(status) ──> ended
//   received | ringing ── CANCEL ──> ended (200 to the CANCEL, 487 to the INVITE)
//   answered | confirmed ── BYE received ──> ended      ── hangup() (BYE sent) ──> ended
//   received | ringing ── BYE (early dialog) ──> ended (487 to the INVITE)
// In-dialog requests must carry both tags; a CANCEL the INVITE's branch (else 481).
//   answered ── no ACK within 32 s ──> ended (BYE sent)
import { EventEmitter } from 'node:events';
import { AnswerRetransmission } from './answer-retransmission.js';
import { answerInDialog, matchesDialog, matchesInvite } from './in-dialog.js';
import { randomSipToken } from './npm-sip-stack.js';
import type { SipRequest, SipStack, SipTransport } from './sip-stack.js';

export type InboundDialogState = 'received' | 'ringing' | 'answered' | 'confirmed' | 'ended';

export interface InboundDialogEvents {
  /** The far end gave up (CANCEL) or hung up (BYE), or never ACKed our 200. */
  ended: [by: 'remote' | 'local', reason: string];
}

export class InboundDialog extends EventEmitter<InboundDialogEvents> {
  readonly callId: string;
  #state: InboundDialogState = 'received';
  readonly #stack: SipStack;
  readonly #invite: SipRequest;
  readonly #transport: SipTransport;
  /** Our tag in the dialog (random): in-dialog requests carry it in To. */
  readonly localTag = randomSipToken();
  #cseq = 0;
  /** Our 200 (to the INVITE, or the latest re-INVITE), resent until its ACK. */
  #answering: AnswerRetransmission | undefined;

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
    this.#answering = new AnswerRetransmission(
      () => this.#respond(200, 'OK', sdp),
      () => {
        this.#sendBye();
        this.#end('local', 'no ACK');
      },
    );
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
    if (request.method === 'ACK') {
      if (this.#state === 'answered') this.#state = 'confirmed';
      this.#answering?.stop();
      return;
    }
    if (request.method === 'CANCEL') return this.#onCancel(request);
    const remoteTag = this.#invite.headers.from?.params.tag;
    if (!matchesDialog(request, this.localTag, remoteTag)) {
      this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    answerInDialog(this.#stack, request, {
      contact: this.#stack.contact(this.#transport),
      onBye: () => {
        // A BYE before our answer ends the call like a CANCEL (RFC 3261 15.1.2).
        if (this.#state === 'received' || this.#state === 'ringing')
          this.#respond(487, 'Request Terminated');
        this.#end('remote', 'hung up');
      },
      answerOffer: (offer) => this.answerReoffer(offer),
      answering: (retransmission) => {
        this.#answering?.stop();
        this.#answering = retransmission;
      },
    });
  }

  #onCancel(request: SipRequest): void {
    if (!matchesInvite(request, this.#invite)) {
      this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    // The CANCEL's 200 carries the INVITE's To tag (RFC 3261 9.2).
    this.#respondTagged(request, 200, 'OK');
    if (this.#state === 'received' || this.#state === 'ringing') {
      this.#respond(487, 'Request Terminated');
      this.#end('remote', 'cancelled');
    }
  }

  #respond(status: number, reason: string, sdp?: string): void {
    const headers = {
      contact: this.#contact(),
      ...(sdp ? { 'content-type': 'application/sdp' } : {}),
    };
    this.#respondTagged(this.#invite, status, reason, headers, sdp);
  }

  /** Answers `request` with our tag in To, with `headers` and a body. */
  #respondTagged(
    request: SipRequest,
    status: number,
    reason: string,
    headers: Partial<SipRequest['headers']> = {},
    content?: string,
  ): void {
    const to = request.headers.to;
    this.#stack.respond(request, status, reason, {
      headers: {
        ...(to ? { to: { ...to, params: { ...to.params, tag: this.localTag } } } : {}),
        ...headers,
      },
      ...(content ? { content } : {}),
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
          from: { ...to, params: { ...to.params, tag: this.localTag } },
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

  #end(by: 'remote' | 'local', reason: string): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#answering?.stop();
    this.emit('ended', by, reason);
  }
}

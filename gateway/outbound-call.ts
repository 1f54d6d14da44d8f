// One outbound INVITE and the dialog it makes (RFC 3261, user agent client).
// SIP only: the SDP is opaque here (phone-forwarding.ts reads it).
//
//   calling ── 1xx ──> proceeding            (a 1xx with SDP is early media: `earlySdp`)
//   calling | proceeding ── 401/407, first time ──> calling (sent again with credentials)
//   calling | proceeding ── 2xx ──> confirmed (ACK sent; ACK again on a retransmitted 2xx)
//   calling | proceeding ── 2xx we cannot use ──> ended (refused; ACK and BYE sent)
//   calling | proceeding ── 3xx-6xx, timeout ──> ended (failed)
//   calling | proceeding ── cancel() ──> cancelling ── any final ──> ended (cancelled)
//   confirmed ── hangup() (BYE sent) | BYE received ──> ended
//
// A CANCEL may only follow a provisional response (RFC 3261 9.1): cancel()
// before one waits for it. A 2xx that crosses our CANCEL is ACKed and BYEd.
// A 2xx we cannot use (its Record-Route is no URI, or `refusal` finds its SDP
// unusable) is ACKed and BYEd too, without its route set: 'answered' means a
// call we can talk on.
import { EventEmitter } from 'node:events';
import { signRequest, type DigestSession } from 'sip/digest.js';
import type { AnswerRetransmission } from './answer-retransmission.js';
import { dialogRoute } from './dialog-route.js';
import { answerInDialog, matchesDialog } from './in-dialog.js';
import { infoKey } from './keypad-input.js';
import { randomSipToken } from './npm-sip-stack.js';
import type { SipRequest, SipResponse, SipStack, SipTransport } from './sip-stack.js';

interface Dialog {
  remoteTo: SipRequest['headers']['to'];
  target: string;
  routes: unknown[];
}

export type OutboundCallState = 'calling' | 'proceeding' | 'cancelling' | 'confirmed' | 'ended';

export type CallEnd =
  /** A final non-2xx answer; `local`: the stack's own 408/503 (timeout, unreachable). */
  | { kind: 'failed'; status: number; reason: string; local: boolean }
  | { kind: 'cancelled' }
  /** A 2xx we could not use, ACKed and hung up at once: `reason` says why. */
  | { kind: 'refused'; reason: string }
  | { kind: 'hung_up'; by: 'local' | 'remote' };

export interface OutboundCallEvents {
  /** The first response of any kind (100 Trying included): the trunk is alive. */
  reached: [];
  progress: [status: number, reason: string];
  /** The far end's SDP in a 1xx (early media; the 2xx's comes with 'answered'). */
  earlySdp: [sdp: string];
  /** A 2xx we can use (see `refusal`), with its SDP if it has one. */
  answered: [sdp: string | undefined];
  /** A key the far end sent in a SIP INFO (application/dtmf-relay or application/dtmf). */
  infoKey: [key: string];
  ended: [end: CallEnd];
}

export interface OutboundCallOptions {
  /** Request-URI, e.g. sip:+15551234567@carrier.example:5060;transport=tcp */
  target: string;
  /** Our identity: sip:+15550001111@our-host */
  from: string;
  displayName: string | undefined;
  sdpOffer: string;
  credentials: { user: string; password: string } | undefined;
  /** The trunk's transport: our Contact says where in-dialog requests come back. */
  transport: SipTransport;
}

/** How long a CANCEL may wait for the INVITE's final answer before we give up on it. */
const CANCEL_GRACE_MS = 5_000;

export class OutboundCall extends EventEmitter<OutboundCallEvents> {
  readonly callId = randomSipToken(12);
  #state: OutboundCallState = 'calling';
  readonly #stack: SipStack;
  readonly #options: OutboundCallOptions;
  /** Our tag in the dialog (random): in-dialog requests carry it in To. */
  readonly localTag = randomSipToken();
  #cseq = 0;
  #invite: SipRequest | undefined;
  #provisional = false;
  #cancelWanted = false;
  #authTried = false;
  #reached = false;
  #digest: DigestSession = {};
  #cancelTimer: NodeJS.Timeout | undefined;
  /** Learnt from the 2xx: where in-dialog requests go. */
  #dialog: Dialog | undefined;
  #reinviteAnswer: AnswerRetransmission | undefined;

  /**
   * Answers a re-INVITE's offer (hold, unhold, session refresh; none when it
   * has no SDP). By default: our first offer again, nothing changes.
   */
  answerReoffer: (offer: string | undefined) => string = () => this.#options.sdpOffer;

  /**
   * Judges a 2xx's answer (its SDP, if any) before the call counts as
   * answered: a reason when it cannot be used, and the call then ends refused.
   */
  refusal: (sdp: string | undefined) => string | undefined = () => undefined;

  constructor(stack: SipStack, options: OutboundCallOptions) {
    super();
    this.#stack = stack;
    this.#options = options;
  }

  get state(): OutboundCallState {
    return this.#state;
  }

  start(): void {
    this.#sendInvite(undefined);
  }

  /** Gives up before an answer (the caller hung up, or the number rang too long). */
  cancel(): void {
    if (this.#state === 'confirmed') return this.hangup();
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
    this.#state = 'cancelling';
    this.#cancelWanted = true;
    if (this.#provisional) this.#sendCancel();
    // Whatever the far end does next, this leg is over for the caller.
    this.#cancelTimer = setTimeout(() => this.#end({ kind: 'cancelled' }), CANCEL_GRACE_MS);
  }

  /** Ends an answered call with BYE. */
  hangup(): void {
    if (this.#state !== 'confirmed') return this.cancel();
    this.#sendInDialog('BYE', this.#dialog);
    this.#end({ kind: 'hung_up', by: 'local' });
  }

  /**
   * An in-dialog request from the far end (the gateway routes it by Call-ID);
   * answers it.
   */
  onRequest(request: SipRequest): void {
    if (request.method === 'ACK') return this.#reinviteAnswer?.stop();
    if (!matchesDialog(request, this.localTag, this.#dialog?.remoteTo?.params.tag)) {
      this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    answerInDialog(this.#stack, request, {
      contact: this.#contact(),
      onBye: () => {
        if (this.#state === 'confirmed') this.#end({ kind: 'hung_up', by: 'remote' });
      },
      answerOffer: (offer) => this.answerReoffer(offer),
      answering: (retransmission) => {
        this.#reinviteAnswer?.stop();
        this.#reinviteAnswer = retransmission;
      },
      onInfo: (info) => {
        const key = infoKey(info.headers['content-type'], info.content);
        if (key !== undefined && this.#state === 'confirmed') this.emit('infoKey', key);
      },
    });
  }

  #sendInvite(challenge: SipResponse | undefined): void {
    const invite: SipRequest = {
      method: 'INVITE',
      uri: this.#options.target,
      headers: {
        to: { uri: this.#options.target, params: {} },
        from: {
          ...(this.#options.displayName ? { name: this.#options.displayName } : {}),
          uri: this.#options.from,
          params: { tag: this.localTag },
        },
        'call-id': this.callId,
        cseq: { method: 'INVITE', seq: ++this.#cseq },
        via: [],
        contact: [{ uri: this.#contact(), params: {} }],
        'max-forwards': 70,
        'content-type': 'application/sdp',
        allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS',
      },
      content: this.#options.sdpOffer,
    };
    const credentials = this.#options.credentials;
    if (challenge && credentials) signRequest(this.#digest, invite, challenge, credentials);
    this.#invite = invite;
    this.#provisional = false;
    this.#stack.request(invite, (response, local) => this.#onResponse(invite, response, local));
  }

  #onResponse(invite: SipRequest, response: SipResponse, local: boolean): void {
    if (invite !== this.#invite) return; // an earlier, challenged INVITE
    // The stack's own 408/503 (timeout, unreachable) say nothing of the far end.
    if (!this.#reached && !local) {
      this.#reached = true;
      this.emit('reached');
    }
    if (response.status < 200) return this.#onProvisional(response);
    if (response.status < 300) return this.#onSuccess(response);
    this.#onFailure(response, local);
  }

  #onProvisional(response: SipResponse): void {
    this.#provisional = true;
    if (this.#cancelWanted) this.#sendCancel();
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
    if (response.status === 100) return; // hop-by-hop: nothing to tell
    this.#state = 'proceeding';
    this.emit('progress', response.status, response.reason);
    if (response.content) this.emit('earlySdp', response.content);
  }

  #onSuccess(response: SipResponse): void {
    const { dialog: answered, routeUnusable } = dialogOf(response, this.#options.target);
    const ackSeq = response.headers.cseq?.seq;
    const taken = this.#dialog;
    // Every 2xx (retransmissions too) gets its ACK.
    this.#sendInDialog('ACK', answered, ackSeq);
    if (taken) {
      // Another fork answered too (RFC 3261 13.2.2.4): end it.
      if (answered.remoteTo?.params.tag !== taken.remoteTo?.params.tag) {
        this.#sendInDialog('BYE', answered);
      }
      return;
    }
    this.#dialog = answered;
    if (this.#state === 'ended' || this.#state === 'cancelling') {
      // The answer crossed our CANCEL: end the dialog it made.
      this.#sendInDialog('BYE', answered);
      return this.#end({ kind: 'cancelled' });
    }
    const sdp = response.content || undefined;
    const refused = routeUnusable ? 'unusable Record-Route' : this.refusal(sdp);
    if (refused !== undefined) {
      this.#sendInDialog('BYE', answered);
      return this.#end({ kind: 'refused', reason: refused });
    }
    this.#state = 'confirmed';
    this.emit('answered', sdp);
  }

  #onFailure(response: SipResponse, local: boolean): void {
    const challenged = response.status === 401 || response.status === 407;
    if (
      challenged &&
      !this.#authTried &&
      this.#options.credentials &&
      this.#state !== 'cancelling'
    ) {
      this.#authTried = true;
      return this.#sendInvite(response);
    }
    if (this.#state === 'cancelling') return this.#end({ kind: 'cancelled' });
    this.#end({ kind: 'failed', status: response.status, reason: response.reason, local });
  }

  #sendCancel(): void {
    const invite = this.#invite;
    if (!invite || !this.#cancelWanted) return;
    this.#cancelWanted = false;
    // Same Request-URI, Call-ID, From, To, CSeq number and top Via as the INVITE.
    this.#stack.request(
      {
        method: 'CANCEL',
        uri: invite.uri,
        headers: {
          to: invite.headers.to,
          from: invite.headers.from,
          'call-id': this.callId,
          cseq: { method: 'CANCEL', seq: invite.headers.cseq?.seq ?? this.#cseq },
          via: invite.headers.via?.slice(0, 1) ?? [],
          'max-forwards': 70,
        },
      },
      () => undefined,
    );
  }

  /**
   * ACK (with the INVITE's CSeq) or BYE (a new CSeq) inside a dialog. A BYE
   * challenged with 401/407 (a stale nonce on a long call) is signed and sent
   * again, once.
   */
  #sendInDialog(method: 'ACK' | 'BYE', dialog: Dialog | undefined, ackSeq?: number): void {
    const invite = this.#invite;
    if (!dialog || !invite) return;
    const request = (): SipRequest => ({
      method,
      uri: dialog.target,
      headers: {
        to: dialog.remoteTo,
        from: invite.headers.from,
        'call-id': this.callId,
        cseq: { method, seq: method === 'ACK' ? (ackSeq ?? this.#cseq) : ++this.#cseq },
        via: [],
        'max-forwards': 70,
        ...(dialog.routes.length > 0 ? { route: dialog.routes } : {}),
      },
    });
    const first = request();
    if (method === 'BYE' && this.#authTried) signRequest(this.#digest, first);
    this.#stack.request(first, (response) => {
      const challenged = response.status === 401 || response.status === 407;
      const credentials = this.#options.credentials;
      if (method !== 'BYE' || !challenged || !credentials) return;
      const again = request();
      signRequest(this.#digest, again, response, credentials);
      this.#stack.request(again, () => undefined);
    });
  }

  #contact(): string {
    return this.#stack.contact(this.#options.transport);
  }

  #end(end: CallEnd): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    clearTimeout(this.#cancelTimer);
    this.#reinviteAnswer?.stop();
    this.emit('ended', end);
  }
}

/**
 * The dialog a 2xx makes: the far end's To (with its tag), its Contact (else
 * our Request-URI), the route set (left out when unusable).
 */
function dialogOf(
  response: SipResponse,
  requestUri: string,
): { dialog: Dialog; routeUnusable: boolean } {
  const route = dialogRoute(response, requestUri, 'uac');
  return {
    dialog: {
      remoteTo: response.headers.to,
      target: route.target ?? requestUri,
      routes: route.routes,
    },
    routeUnusable: route.routeUnusable,
  };
}

// Forwarding one call to the sender's phones (ring plan stage 3): numbers one
// after another, each through the trunks that are up, in order, until one
// answers. Each attempt is an OutboundCall (SIP) plus a PlainRtpLeg (media)
// in the call's room.
//
//   idle ── start() ──> trying(number i, trunk j)
//   trying ── 486/480/404/408/603, ring timeout ──> trying(number i+1, first trunk)
//   trying ── 503 and other failures ──> trying(number i, trunk j+1), else number i+1
//   trying ── 2xx with an answer we can use ──> answered ── BYE either way ──> ended
//   trying ── 2xx, the number asks to press 1 ──> trying(confirming: confirming-leg.ts)
//   trying(confirming) ── key 1 (or no announcement could be made) ──> answered
//   trying(confirming) ── no key in time, another key, hang-up (BYE) ──> trying(number i+1, first trunk)
//   trying ── 2xx we cannot use (its SDP or route set; ACK, BYE) ──> trying(number i+1, first trunk)
//   trying(past the last number) ──> failed (busy when every number said so)
//   trying ── cancel() ──> ended (CANCEL sent)
//
// Which SDP answer each attempt's media follows is phone-leg-media.ts's.
import { EventEmitter } from 'node:events';
import { PlainRtpLeg } from '../media/plain-rtp-leg.js';
import { roomSdpCodecs } from './leg-codecs.js';
import { announcementText, type Announcements } from './announcement.js';
import { confirmationResult } from './confirmation-table.js';
import { ConfirmingLeg } from './confirming-leg.js';
import type { Room } from '../media/room.js';
import type { LegAddresses } from '../media/plain-rtp-leg.js';
import type { GatewayLogger } from './gateway-logger.js';
import { OutboundCall, type CallEnd } from './outbound-call.js';
import { PhoneLegMedia } from './phone-leg-media.js';
import type { SipDialog, SipStack } from './sip-stack.js';
import type { Trunk } from './trunks.js';

export interface PhoneTarget {
  number: string;
  label: string;
  /** A person must press 1 before the call is connected (issue 19; off for PBX desk phones). */
  askToPress1: boolean;
}

export interface ForwardRequest {
  room: Room;
  /** The caller's peer in the room: its audio goes to the phone. */
  callerPeerId: string;
  callerName: string;
  /** The email the call is about (the announcement names it). */
  subject: string | null;
  numbers: PhoneTarget[];
}

export interface AttemptInfo {
  id: number;
  number: string;
  label: string;
  trunk: string;
}

export type ForwardingState = 'idle' | 'trying' | 'answered' | 'failed' | 'ended';

export interface PhoneForwardingEvents {
  /** A new INVITE went out. */
  attempt: [attempt: AttemptInfo];
  /** An attempt finished: "486 Busy Here", "answered", "no answer", ... */
  attemptEnded: [attempt: AttemptInfo, result: string];
  ringing: [attempt: AttemptInfo];
  /** The caller's browser must send its audio with this codec. */
  sendCodec: [codec: { mimeType: string; clockRate: number }];
  /** `result`: what the history says of it ("answered", "confirmed by key 1"). */
  answered: [attempt: AttemptInfo, result: string];
  /** Nobody answered on any number; `busy`: every number answered busy (486, 600). */
  failed: [busy: boolean];
  /** An answered phone call ended. */
  ended: [by: 'phone' | 'local'];
  /** The phone put the call on hold (true) or took it off (false). */
  held: [held: boolean];
}

export interface PhoneForwardingDeps {
  stack: SipStack;
  /** Trunks that may take calls now, in preference order. */
  trunksUp: () => Trunk[];
  media: LegAddresses;
  /** How long one number may ring before we try the next. */
  ringTimeoutMs: number;
  logger: GatewayLogger;
  /** Routes in-dialog requests for a Call-ID to its call while it lives. */
  dialogs: Map<string, SipDialog>;
  /** What an attempt told about its trunk: the carrier answered (not 5xx), or not. */
  trunkResult: (trunk: string, reachable: boolean) => void;
  /** Renders what a phone that must press 1 hears. */
  announcements: Announcements;
}

/** Reason phrases for answers the stack makes up itself (it leaves them empty). */
const REASONS: Record<number, string> = {
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

interface Attempt {
  info: AttemptInfo;
  call: OutboundCall;
  media: PhoneLegMedia;
  timer: NodeJS.Timeout;
  /** The trunk never answered at all (not even 100 Trying). */
  trunkSilent: () => boolean;
  /** Answered, and asked to press 1. */
  confirming?: ConfirmingLeg;
}

/** How long a trunk may stay silent (no 100 Trying) before the next trunk is tried. */
const TRUNK_SILENCE_MS = 4_000;

/** Answers that mean "this phone is busy". */
const BUSY = new Set([486, 600]);

/** Answers that mean "this number cannot take the call now": try the next number. */
const NUMBER_FAILURES = new Set([404, 408, 480, 484, 486, 487, 600, 603, 604]);

export class PhoneForwarding extends EventEmitter<PhoneForwardingEvents> {
  #state: ForwardingState = 'idle';
  readonly #deps: PhoneForwardingDeps;
  readonly #request: ForwardRequest;
  #numberIndex = 0;
  #trunkIndex = 0;
  #attempts = 0;
  /** Numbers given up on because they were busy. */
  #busyNumbers = 0;
  /** Our SDP session (RFC 4566 o=), the same in every attempt's offer. */
  readonly #sessionId = String(Date.now());
  #current: Attempt | undefined;

  constructor(deps: PhoneForwardingDeps, request: ForwardRequest) {
    super();
    this.#deps = deps;
    this.#request = request;
  }

  get state(): ForwardingState {
    return this.#state;
  }

  /** Ended before a phone answered. */
  get cancelled(): boolean {
    return this.#state === 'ended';
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'trying';
    void this.#tryNext();
  }

  /** The caller hung up (or the call was answered elsewhere) before a phone answered. */
  cancel(): void {
    if (this.#state === 'answered') return this.hangup();
    if (this.#state !== 'trying' && this.#state !== 'idle') return;
    this.#state = 'ended';
    const confirming = this.#current?.confirming;
    if (confirming) confirming.cancel();
    else this.#current?.call.cancel();
  }

  /**
   * Keypad tones from the caller to the answered phone (RFC 4733); false when
   * the phone's SDP did not take telephone-event or no audio flows yet.
   */
  sendTones(digits: string): boolean {
    return this.#state === 'answered' && (this.#current?.media.sendTones(digits) ?? false);
  }

  /** Ends an answered phone call from our side. */
  hangup(): void {
    if (this.#state !== 'answered') return this.cancel();
    this.#state = 'ended';
    this.#current?.call.hangup();
    this.emit('ended', 'local');
  }

  async #tryNext(): Promise<void> {
    const target = this.#request.numbers[this.#numberIndex];
    const trunk = this.#deps.trunksUp()[this.#trunkIndex];
    if (this.#state !== 'trying') return;
    if (!target || !trunk) return this.#fail();
    const info: AttemptInfo = {
      id: ++this.#attempts,
      number: target.number,
      label: target.label,
      trunk: trunk.name,
    };
    let leg: PlainRtpLeg;
    try {
      leg = await PlainRtpLeg.open(
        this.#request.room,
        `phone-${String(info.id)}`,
        this.#deps.media,
      );
    } catch (error) {
      // The room is gone (the call ended meanwhile) or the worker refused.
      this.#deps.logger.warn({ err: error }, 'could not open a phone media leg');
      return this.#fail();
    }
    // The caller may have hung up while the leg opened.
    if (this.cancelled) return leg.close();
    const media = new PhoneLegMedia({
      leg,
      offered: roomSdpCodecs(leg, trunk.codecs),
      trunk,
      callerPeerId: this.#request.callerPeerId,
      sessionId: this.#sessionId,
      logger: this.#deps.logger,
      context: { attempt: info },
    });
    const call = new OutboundCall(this.#deps.stack, {
      target: trunkTarget(trunk, target.number),
      from: `sip:${trunk.callerId ?? 'anonymous'}@${this.#deps.stack.host}`,
      displayName: displayName(this.#request.callerName),
      sdpOffer: media.offer,
      credentials:
        trunk.username && trunk.password
          ? { user: trunk.username, password: trunk.password }
          : undefined,
      transport: trunk.transport,
    });
    const timer = setTimeout(() => call.cancel(), this.#deps.ringTimeoutMs);
    // A trunk that says nothing at all (not even 100 Trying) is down: try the next one.
    const silence = setTimeout(() => {
      trunkSilent = true;
      call.cancel();
    }, TRUNK_SILENCE_MS);
    let trunkSilent = false;
    call.once('reached', () => clearTimeout(silence));
    call.once('ended', () => clearTimeout(silence));
    this.#current = { info, call, media, timer, trunkSilent: () => trunkSilent };
    this.#deps.dialogs.set(call.callId, call);
    this.#wire(info, call, leg, media, target);
    this.emit('attempt', info);
    call.start();
  }

  #wire(
    info: AttemptInfo,
    call: OutboundCall,
    leg: PlainRtpLeg,
    media: PhoneLegMedia,
    target: PhoneTarget,
  ): void {
    call.on('progress', (status) => {
      if (status === 180 || status === 183) this.emit('ringing', info);
    });
    call.on('earlySdp', (sdp) => media.early(sdp));
    call.refusal = (sdp) => media.refusal(sdp);
    // Before any answer is settled, a re-offer gets our first offer again.
    call.answerReoffer = (offer) => media.answerReoffer(offer) ?? media.offer;
    media.on('sendCodec', (codec) => this.emit('sendCodec', codec));
    media.on('held', (held) => {
      if (this.#state === 'answered') this.emit('held', held);
    });
    call.on('answered', () => {
      clearTimeout(this.#current?.timer);
      if (this.#state !== 'trying') return call.hangup();
      media.answered();
      const answer = media.answer;
      if (!target.askToPress1 || !answer) return this.#connect(info, 'answered');
      const confirming = new ConfirmingLeg({
        call,
        leg,
        answer,
        announcements: this.#deps.announcements,
        text: announcementText(this.#request.callerName, this.#request.subject),
        logger: this.#deps.logger,
        context: { attempt: info },
      });
      if (this.#current?.call === call) this.#current.confirming = confirming;
      confirming.on('settled', (state) => {
        if (state.kind === 'confirmed' || state.kind === 'bridged') {
          this.#connect(info, confirmationResult(state) ?? 'answered');
        }
      });
      confirming.start();
    });
    call.on('ended', (end) => this.#attemptEnded(info, call, leg, end));
  }

  /** A phone is connected to the caller. */
  #connect(info: AttemptInfo, result: string): void {
    if (this.#state !== 'trying') return;
    this.#state = 'answered';
    this.emit('attemptEnded', info, 'answered');
    this.emit('answered', info, result);
  }

  #attemptEnded(info: AttemptInfo, call: OutboundCall, leg: PlainRtpLeg, end: CallEnd): void {
    const current = this.#current;
    // Answered but never taken (no key 1): the next number, as for no answer.
    const confirmation = current?.call === call ? current.confirming?.state : undefined;
    const unconfirmed =
      confirmation?.kind === 'declined' || confirmation?.kind === 'cancelled'
        ? confirmationResult(confirmation)
        : undefined;
    // Silence, or the stack's own timeout: the trunk, not the number.
    const trunkDown =
      (current?.call === call && current.trunkSilent()) ||
      (end.kind === 'failed' && end.local && end.status === 408);
    if (current?.call === call) {
      clearTimeout(current.timer);
      this.#current = undefined;
    }
    this.#deps.dialogs.delete(call.callId);
    leg.close();
    // Told before the next attempt picks a trunk: one marked down is skipped.
    this.#deps.trunkResult(
      info.trunk,
      !trunkDown && !(end.kind === 'failed' && end.status >= 500 && end.status < 600),
    );
    if (end.kind === 'hung_up' && unconfirmed === undefined) {
      // Ours via hangup() already moved to 'ended'; any other end is news.
      if (this.#state === 'answered') {
        this.#state = 'ended';
        this.emit('ended', end.by === 'remote' ? 'phone' : 'local');
      }
      return;
    }
    const result =
      unconfirmed ??
      (trunkDown
        ? 'no response from the trunk'
        : end.kind === 'refused'
          ? end.reason
          : end.kind === 'failed'
            ? `${String(end.status)} ${end.reason || (REASONS[end.status] ?? 'Failed')}`
            : this.#state === 'trying'
              ? 'no answer'
              : 'cancelled');
    this.emit('attemptEnded', info, result);
    if (this.#state !== 'trying') return;
    const numberFailed =
      end.kind === 'cancelled' ||
      end.kind === 'refused' ||
      end.kind === 'hung_up' ||
      NUMBER_FAILURES.has(end.status);
    if (!trunkDown && numberFailed) {
      if (end.kind === 'failed' && BUSY.has(end.status)) this.#busyNumbers += 1;
      this.#numberIndex += 1;
      this.#trunkIndex = 0;
    } else {
      // A trunk this attempt marked down has left trunksUp(): the next one took its place.
      if (this.#deps.trunksUp().some((t) => t.name === info.trunk)) this.#trunkIndex += 1;
      if (this.#trunkIndex >= this.#deps.trunksUp().length) {
        this.#numberIndex += 1;
        this.#trunkIndex = 0;
      }
    }
    void this.#tryNext();
  }

  #fail(): void {
    if (this.#state !== 'trying') return;
    this.#state = 'failed';
    const numbers = this.#request.numbers.length;
    this.emit('failed', numbers > 0 && this.#busyNumbers === numbers);
  }
}

function trunkTarget(trunk: Trunk, number: string): string {
  // The transport always named: else the stack tries UDP, TCP and TLS in turn.
  return `sip:${number}@${trunk.host}:${String(trunk.port)};transport=${trunk.transport}`;
}

/** A display name SIP can carry in quotes: no quotes, backslashes or controls. */
function displayName(callerName: string): string | undefined {
  const clean = callerName
    // eslint-disable-next-line no-control-regex
    .replace(/["\\\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 60);
  // Quoted here: the stack writes the name as given.
  return clean ? `"${clean} (Voxreply)"` : undefined;
}
